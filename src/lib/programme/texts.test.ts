import { describe, expect, it } from "vitest";
import { anyText, hasText, inLanguage, pickText, sameText, textFor } from "./texts.ts";

describe("texts in both languages", () => {
  const both = { en: "Ransomware", fr: "Rançongiciel" };
  const english = { en: "Ransomware", fr: "" };
  const french = { en: " ", fr: "Rançongiciel" };

  it("give a reader their language when it is there, else the other one, saying which", () => {
    expect(pickText(both, "fr")).toEqual({ text: "Rançongiciel", lang: "fr" });
    expect(pickText(english, "fr")).toEqual({ text: "Ransomware", lang: "en" });
    expect(pickText(french, "en")).toEqual({ text: "Rançongiciel", lang: "fr" });
    expect(pickText({ en: "", fr: "" }, "en")).toEqual({ text: "", lang: "en" });
  });

  it("set a lang attribute only on a fallback", () => {
    expect(textFor(both, "en")).toEqual({ text: "Ransomware", lang: undefined });
    expect(textFor(english, "fr")).toEqual({ text: "Ransomware", lang: "en" });
    expect(textFor(english, "en")).toEqual({ text: "Ransomware", lang: undefined });
  });

  it("read a text written in one language, and compare and test texts", () => {
    expect(inLanguage("Exposé", "fr")).toEqual({ en: "", fr: "Exposé" });
    expect(anyText(french)).toBe("Rançongiciel");
    expect(anyText(both, "fr")).toBe("Rançongiciel");
    expect(hasText(french)).toBe(true);
    expect(hasText({ en: " ", fr: "" })).toBe(false);
    expect(sameText(both, { ...both })).toBe(true);
    expect(sameText(both, { ...both, fr: "Autre" })).toBe(false);
  });
});
