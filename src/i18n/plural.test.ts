import { describe, expect, it } from "vitest";
import { summaryLine } from "./errors.ts";
import { en } from "./en.ts";
import { fr } from "./fr.ts";
import { plural, type PluralForms } from "./plural.ts";

describe("plural", () => {
  it("counts the error summary's problems by each language's rules", () => {
    const heading = (m: typeof en, n: number) => plural(m.intl, n, m.errorSummary.title);
    expect([1, 2, 3, 21].map((n) => heading(en, n))).toEqual([
      "There is a problem",
      "There are 2 problems",
      "There are 3 problems",
      "There are 21 problems",
    ]);
    // French: 0 and 1 are singular ("one"), 2 and more plural.
    expect([0, 1, 2, 6].map((n) => heading(fr, n))).toEqual([
      "Il y a un problème",
      "Il y a un problème",
      "Il y a 2 problèmes",
      "Il y a 6 problèmes",
    ]);
  });

  it("uses a category's own form, and `other` for a category without one", () => {
    const forms: PluralForms = { one: () => "un", many: (n) => `${n} (many)`, other: (n) => `${n} (other)` };
    expect(plural("fr-FR", 1, forms)).toBe("un");
    expect(plural("fr-FR", 1_000_000, forms)).toBe("1000000 (many)");
    expect(plural("fr-FR", 7, forms)).toBe("7 (other)");
    expect(plural("en-GB", 1_000_000, forms)).toBe("1000000 (other)");
  });
});

describe("summaryLine", () => {
  it("names the field, the message continuing the sentence after the language's colon", () => {
    expect(summaryLine(en, "Full name", "This field is required.")).toBe("Full name: this field is required.");
    expect(summaryLine(fr, "Nom complet", "Ce champ est obligatoire.")).toBe("Nom complet\u00a0: ce champ est obligatoire.");
    expect(summaryLine(fr, "Adresse e-mail", "Écrivez une adresse.")).toBe("Adresse e-mail\u00a0: écrivez une adresse.");
    // An acronym or a code keeps its capitals.
    expect(summaryLine(en, "Sharing level", "TLP:RED is not allowed here.")).toBe("Sharing level: TLP:RED is not allowed here.");
  });
});
