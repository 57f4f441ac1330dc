import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Every import specifier of the TypeScript files under `dir` (tests left out), by file. */
function importsUnder(dir: string): { file: string; from: string }[] {
  const found: { file: string; from: string }[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ts$/.test(name) && !name.endsWith(".test.ts")) {
        const text = readFileSync(path, "utf8");
        for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g))
          found.push({ file: path, from: (m[1] ?? m[2])! });
      }
    }
  };
  walk(dir);
  return found;
}

describe("the layers", () => {
  it("the domain (src/lib) knows nothing of the web: no astro:* or astro/* module, no web adapter, page or component", () => {
    const offenders = importsUnder("src/lib").filter(
      ({ from }) =>
        /^astro(:|\/|$)/.test(from) || /(^|\/)web\//.test(from) || /(^|\/)components\//.test(from) || /(^|\/)actions\//.test(from),
    );
    expect(offenders).toEqual([]);
  });

  it("the shared leaves (locale, fields, markup) import nothing of the site", () => {
    const leaves = ["src/lib/locale.ts", "src/lib/fields.ts", "src/lib/markup.ts"];
    const offenders = importsUnder("src/lib").filter(({ file, from }) => leaves.includes(file) && from.startsWith("."));
    expect(offenders).toEqual([]);
  });

  it("finds the imports it looks at (the walk is not empty)", () => {
    const all = importsUnder("src/lib");
    expect(all.some(({ file, from }) => file === "src/lib/cfp/links.ts" && from === "../locale.ts")).toBe(true);
    expect(importsUnder("src/web").some(({ from }) => from === "astro:actions")).toBe(true);
  });
});
