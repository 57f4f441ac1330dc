import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fr } from "./fr.ts";
import { en } from "./en.ts";
import { parse as parseYaml } from "yaml";
import { WORDING } from "../lib/email/wording.ts";
import { frenchSpacing, frenchTypographyFaults, NBSP, NNBSP } from "../lib/typography.ts";

/** Every text of a message tree: strings as they are, functions called with sample arguments. */
function texts(tree: unknown, path = ""): { path: string; text: string }[] {
  if (typeof tree === "string") return [{ path, text: tree }];
  if (typeof tree === "function") {
    const samples = [
      Array.from({ length: tree.length }, () => "Exemple"),
      Array.from({ length: tree.length }, () => 2),
      Array.from({ length: tree.length }, () => 1),
    ];
    return samples.flatMap((args) => {
      try {
        const out: unknown = tree(...args);
        return typeof out === "string" ? [{ path: `${path}()`, text: out }] : texts(out, `${path}()`);
      } catch {
        return [];
      }
    });
  }
  if (Array.isArray(tree)) return tree.flatMap((item, i) => texts(item, `${path}[${i}]`));
  if (tree && typeof tree === "object") return Object.entries(tree).flatMap(([k, v]) => texts(v, path ? `${path}.${k}` : k));
  return [];
}

describe("French typography", () => {
  it("puts the right no-break space before : ; ! ? and inside « », and leaves times and URLs alone", () => {
    expect(frenchSpacing("Attention : il pleut ; vraiment ? Oui ! « Bien »")).toBe(
      `Attention${NBSP}: il pleut${NNBSP}; vraiment${NNBSP}? Oui${NNBSP}! «${NNBSP}Bien${NNBSP}»`,
    );
    expect(frenchSpacing(`Déjà${NBSP}: bien${NNBSP};`)).toBe(`Déjà${NBSP}: bien${NNBSP};`);
    expect(frenchSpacing("À 10:30, voir https://example.org/?q=1 et TLP:CLEAR.")).toBe(
      "À 10:30, voir https://example.org/?q=1 et TLP:CLEAR.",
    );
    expect(frenchSpacing("Liste :\n- un ;\n- deux.")).toBe(`Liste${NBSP}:\n- un${NNBSP};\n- deux.`);
    expect(frenchTypographyFaults("Attention : oui")).toHaveLength(1);
    expect(frenchTypographyFaults("Attention: oui")).toHaveLength(1);
    expect(frenchTypographyFaults(`Attention${NNBSP}: oui`)).toHaveLength(1);
    expect(frenchTypographyFaults(`Oui${NBSP}?`)).toHaveLength(1);
    expect(frenchTypographyFaults("Forces de l'ordre")).toHaveLength(1);
    expect(frenchTypographyFaults("Forces de l’ordre")).toEqual([]);
    expect(frenchTypographyFaults(`Attention${NBSP}: oui${NNBSP}? 10:30 https://x.org TLP:AMBER`)).toEqual([]);
  });

  it("every French message of the site, the e-mails' too, is spaced the French way", () => {
    const all = [...texts(fr), ...texts(WORDING.fr, "email")];
    expect(all.length).toBeGreaterThan(1000);
    const faults = all.flatMap(({ path, text }) => frenchTypographyFaults(text).map((at) => `${path}: …${at}…`));
    expect(faults).toEqual([]);
  });

  it("English messages keep English spacing: no space before a colon or a question mark", () => {
    const all = [...texts(en), ...texts(WORDING.en, "email")];
    const faults = all.flatMap(({ path, text }) =>
      [...text.matchAll(/(?<=\S)[ \u00a0\u202f]+[:;!?](?=\s|$)/g)].map(
        (m) => `${path}: ${text.slice(Math.max(0, m.index - 12), m.index + 3)}`,
      ),
    );
    expect(faults).toEqual([]);
  });

  it("the French editorial pages and the demo's French texts are spaced the French way", () => {
    const files = [
      ...readdirSync("content/pages/fr").map((f) => join("content/pages/fr", f)),
      ...readdirSync("content/programme/sessions").map((f) => join("content/programme/sessions", f)),
      ...readdirSync("content/programme/speakers").map((f) => join("content/programme/speakers", f)),
    ];
    const faults: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      // The French parts: a page's front matter values and body, a session's French fields and body.
      const french = frenchParts(text, file.includes("/pages/fr/"));
      for (const part of french) for (const at of frenchTypographyFaults(part)) faults.push(`${file}: …${at}…`);
    }
    expect(faults).toEqual([]);
  });

  it("the edition's French labels (categories, venue, tracks) are spaced and written the French way", () => {
    const frenchValues = (tree: unknown, path: string): { path: string; text: string }[] =>
      Array.isArray(tree)
        ? tree.flatMap((item, i) => frenchValues(item, `${path}[${i}]`))
        : tree && typeof tree === "object"
          ? Object.entries(tree).flatMap(([k, v]) =>
              k === "fr" && typeof v === "string" ? [{ path: `${path}.fr`, text: v }] : frenchValues(v, `${path}.${k}`),
            )
          : [];
    const files = ["content/edition.yaml", "content/programme/setup.yaml"];
    const all = files.flatMap((file) => frenchValues(parseYaml(readFileSync(file, "utf8")), file));
    expect(all.length).toBeGreaterThan(10);
    expect(all.flatMap(({ path, text }) => frenchTypographyFaults(text).map((at) => `${path}: …${at}…`))).toEqual([]);
  });
});

/**
 * The French texts of a content file: the title, description and body of a French file (`french`,
 * or `language: fr`), and the `*_fr` fields of any; YAML keys are left out.
 */
function frenchParts(text: string, french = false): string[] {
  const [, front = "", body = ""] = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text) ?? [];
  const parts: string[] = [];
  const isFrench = french || /^language: fr$/m.test(front);
  // Each top-level key with its (possibly block) value.
  for (const entry of front.split(/\n(?=[a-z_A-Z]+:)/)) {
    const key = /^([a-z_A-Z]+):/.exec(entry)?.[1] ?? "";
    if (key.endsWith("_fr") || (isFrench && ["title", "description"].includes(key))) parts.push(entry.slice(key.length + 1));
  }
  if (isFrench) parts.push(body);
  return parts;
}
