import { describe, expect, it } from "vitest";
import { loadEdition } from "../config/edition.ts";
import { editSchema, registrationSchema } from "./form.ts";

const edition = loadEdition();
const schema = registrationSchema(edition);

/** What a browser sends for a filled industry form (empty fields arrive as null). */
const form = (overrides: Record<string, unknown> = {}) => ({
  category: "industry",
  name: "  Ada Lovelace ",
  email: " Ada@Example.ORG ",
  organisation: "Analytical Engines",
  country: "gb",
  language: "en",
  dietary: null,
  accessibility: "Step-free access\r\nplease",
  agency: null,
  position: null,
  officialEmail: null,
  company: "Analytical Engines Ltd",
  role: "Engineer",
  institution: null,
  policyBody: null,
  privacyConsent: "on",
  listConsent: null,
  website: null,
  ...overrides,
});

const errorsOf = (input: Record<string, unknown>) => {
  const result = schema.safeParse(input);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((i) => [String(i.path[0]), i.message]));
};

describe("registration form schema", () => {
  it("normalizes a valid submission", () => {
    const result = schema.parse(form());
    expect(result).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.org",
      country: "GB",
      dietary: "",
      accessibility: "Step-free access\nplease",
      privacyConsent: true,
      listConsent: false,
      agency: "",
    });
  });

  it("names every missing required field, by category", () => {
    expect(
      errorsOf(form({ name: null, email: "", organisation: null, country: null, company: null, role: "", privacyConsent: null })),
    ).toEqual({
      name: "required",
      email: "required",
      organisation: "required",
      country: "required",
      company: "required",
      role: "required",
      privacyConsent: "consentRequired",
    });
    expect(errorsOf(form({ category: "law-enforcement", company: null, role: null }))).toEqual({
      agency: "required",
      position: "required",
      officialEmail: "required",
    });
    expect(errorsOf(form({ category: "researcher", company: null, role: null }))).toEqual({ institution: "required" });
    expect(errorsOf(form({ category: "policy-maker", company: null, role: null }))).toEqual({ policyBody: "required" });
  });

  it("refuses another category's fields, unknown categories and countries, bad languages", () => {
    expect(errorsOf(form({ agency: "Police" }))).toEqual({ agency: "notApplicable" });
    expect(errorsOf(form({ category: "astronaut" }))).toMatchObject({ category: "unknownCategory" });
    expect(errorsOf(form({ category: null }))).toMatchObject({ category: "required" });
    for (const category of ["__proto__", "constructor", "toString"])
      expect(errorsOf(form({ category }))).toMatchObject({ category: "unknownCategory" });
    expect(errorsOf(form({ country: "XX" }))).toEqual({ country: "unknownCountry" });
    expect(errorsOf(form({ country: "EU" }))).toEqual({ country: "unknownCountry" });
    expect(errorsOf(form({ language: "de" }))).toEqual({ language: "invalidLanguage" });
  });

  it("refuses malformed addresses, too-long values, control characters and wrong types", () => {
    expect(errorsOf(form({ email: "not-an-address" }))).toEqual({ email: "invalidEmail" });
    expect(errorsOf(form({ email: `${"a".repeat(250)}@example.org` }))).toEqual({ email: "tooLong:254" });
    expect(errorsOf(form({ name: "x".repeat(201) }))).toEqual({ name: "tooLong:200" });
    expect(errorsOf(form({ dietary: "x".repeat(1001) }))).toEqual({ dietary: "tooLong:1000" });
    expect(errorsOf(form({ name: "Ada\u0000" }))).toEqual({ name: "invalidCharacters" });
    expect(errorsOf(form({ organisation: "Evil\u202eCorp" }))).toEqual({ organisation: "invalidCharacters" });
    expect(errorsOf(form({ name: "two\nlines" }))).toEqual({ name: "invalidCharacters" });
    expect(errorsOf(form({ dietary: "bell\u0007" }))).toEqual({ dietary: "invalidCharacters" });
    expect(errorsOf(form({ name: 42 }))).toEqual({ name: "invalid" });
    // Every error at once, not only the type errors first.
    expect(errorsOf(form({ name: "x".repeat(201), email: null, agency: "Police" }))).toEqual({
      name: "tooLong:200",
      email: "required",
      agency: "notApplicable",
    });
    expect(errorsOf(form({ name: ["a", "b"] }))).toEqual({ name: "invalid" });
  });

  it("keeps the honeypot for the handler to see", () => {
    expect(schema.parse(form({ website: "http://spam.example" })).website).toBe("http://spam.example");
  });
});

describe("edit form schema", () => {
  const edit = editSchema(edition);
  it("requires the category's own fields and refuses others", () => {
    const base = {
      token: "t",
      version: "3",
      category: "researcher",
      name: "Ada",
      organisation: "Org",
      country: "FR",
      language: "fr",
      institution: "Lab",
    };
    expect(edit.parse(base)).toMatchObject({ version: 3, institution: "Lab", listConsent: false });
    const result = edit.safeParse({ ...base, institution: "", company: "Co", version: "x" });
    expect(result.success).toBe(false);
    expect(Object.fromEntries(result.error!.issues.map((i) => [String(i.path[0]), i.message]))).toEqual({
      version: "invalid",
      institution: "required",
      company: "notApplicable",
    });
  });
});
