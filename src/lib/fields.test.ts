import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { checkbox, id, optionalId, token, trimmed, typedCode, version } from "./fields.ts";

/** The value a field gives, or the first error key it refuses with. */
function parse(field: z.ZodType, value: unknown): unknown {
  const result = field.safeParse(value);
  return result.success ? result.data : { refused: result.error.issues[0]!.message };
}

describe("the shared form fields", () => {
  it("trimmed: trims, takes an absent value as blank, refuses past its length with its key, and a blank one only when told", () => {
    expect(parse(trimmed(5), "  abc  ")).toBe("abc");
    expect(parse(trimmed(5), undefined)).toBe("");
    expect(parse(trimmed(5), null)).toBe("");
    expect(parse(trimmed(5), "abcdef")).toEqual({ refused: "invalid" });
    expect(parse(trimmed(5, { tooLong: "tooLong:5" }), "abcdef")).toEqual({ refused: "tooLong:5" });
    expect(parse(trimmed(5, { blank: "required" }), "   ")).toEqual({ refused: "required" });
    expect(parse(trimmed(5, { blank: "required" }), " a ")).toBe("a");
  });

  it("token: a trimmed value of at most 100 characters", () => {
    expect(parse(token, ` ${"a".repeat(100)} `)).toBe("a".repeat(100));
    expect(parse(token, "a".repeat(101))).toEqual({ refused: "invalid" });
  });

  it("typedCode: removes every space a person or a paste puts in, then refuses past its length", () => {
    expect(parse(typedCode(6), " 123 456 ")).toBe("123456");
    expect(parse(typedCode(6), "123\u00a0456")).toBe("123456");
    expect(parse(typedCode(6), "1234567")).toEqual({ refused: "invalid" });
    expect(parse(typedCode(6), undefined)).toBe("");
  });

  it("checkbox: ticked only as 'on' (or true), never as 'yes'", () => {
    expect([parse(checkbox, "on"), parse(checkbox, true), parse(checkbox, "true")]).toEqual([true, true, true]);
    expect([parse(checkbox, undefined), parse(checkbox, "yes"), parse(checkbox, "")]).toEqual([false, false, false]);
  });

  it("id, optionalId and version: positive whole numbers from the form's strings", () => {
    expect(parse(id, " 12 ")).toBe(12);
    expect(parse(id, 12)).toBe(12);
    for (const bad of ["", null, "0", "-3", "1.5", "abc"]) expect(parse(id, bad)).toEqual({ refused: "invalid" });
    expect([parse(optionalId, ""), parse(optionalId, null), parse(optionalId, "7")]).toEqual([null, null, 7]);
    expect(parse(optionalId, "x")).toEqual({ refused: "invalid" });
    expect(parse(version, "3")).toBe(3);
    for (const bad of ["", null, undefined, "0", "2.5"]) expect(parse(version, bad)).toEqual({ refused: "invalid" });
  });
});
