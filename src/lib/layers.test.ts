import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
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

/** Where a relative specifier of `file` leads, as a path from the checkout (non-relative ones: undefined). */
function target(file: string, from: string): string | undefined {
  return from.startsWith(".") ? relative(process.cwd(), resolve(dirname(file), from)) : undefined;
}

/** The import cycles among the modules under `dir` (type imports count: they tie the modules as much), each as a path a → … → a. */
function cyclesUnder(...dirs: string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const { file, from } of dirs.flatMap((dir) => importsUnder(dir))) {
    const to = target(file, from);
    if (!graph.has(file)) graph.set(file, []);
    if (to && dirs.some((dir) => to.startsWith(`${dir}/`))) graph.get(file)!.push(to);
  }
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (at: string) => {
    const open = path.indexOf(at);
    if (open >= 0) return void cycles.push([...path.slice(open), at]);
    if (done.has(at)) return;
    path.push(at);
    for (const next of graph.get(at) ?? []) visit(next);
    path.pop();
    done.add(at);
  };
  for (const file of graph.keys()) visit(file);
  return cycles;
}

/** The mail queue: what every domain calls to queue a message. The renderer (templates, wording) and the worker sit above the domains. */
const QUEUE = ["src/lib/email/outbox.ts", "src/lib/email/pace.ts", "src/lib/email/nudge.ts", "src/lib/email/payloads.ts"];

describe("the layers", () => {
  it("the domain (src/lib) knows nothing of the web: no astro:* or astro/* module, no web adapter, page or component", () => {
    const offenders = importsUnder("src/lib").filter(
      ({ from }) =>
        /^astro(:|\/|$)/.test(from) || /(^|\/)web\//.test(from) || /(^|\/)components\//.test(from) || /(^|\/)actions\//.test(from),
    );
    expect(offenders).toEqual([]);
  });

  it("the shared leaves (locale, fields, markup, typography) import nothing of the site", () => {
    const leaves = ["src/lib/locale.ts", "src/lib/fields.ts", "src/lib/markup.ts", "src/lib/typography.ts"];
    const offenders = importsUnder("src/lib").filter(({ file, from }) => leaves.includes(file) && from.startsWith("."));
    expect(offenders).toEqual([]);
  });

  it("the mail queue is a leaf: it imports nothing of src/lib but itself (the database schema is below it)", () => {
    const offenders = importsUnder("src/lib").filter(({ file, from }) => {
      if (!QUEUE.includes(file)) return false;
      const to = target(file, from);
      return to !== undefined && !QUEUE.includes(to) && !to.startsWith("db/");
    });
    expect(offenders).toEqual([]);
  });

  it("src/lib and src/i18n have no import cycle, within or between them", () => {
    expect(cyclesUnder("src/lib", "src/i18n")).toEqual([]);
  });

  it("lib takes from src/i18n only the messages (index.ts), never its formats or typography (those are lib leaves: locale.ts, typography.ts)", () => {
    const offenders = importsUnder("src/lib").filter(({ file, from }) => {
      const to = target(file, from);
      return to?.startsWith("src/i18n/") && to !== "src/i18n/index.ts";
    });
    expect(offenders).toEqual([]);
  });

  it("the messages (src/i18n but format.ts, the pages' side) take from src/lib only the locale leaf", () => {
    const offenders = importsUnder("src/i18n").filter(({ file, from }) => {
      const to = target(file, from);
      return file !== "src/i18n/format.ts" && to !== undefined && !to.startsWith("src/i18n/") && to !== "src/lib/locale.ts";
    });
    expect(offenders).toEqual([]);
  });

  it("the cycle check finds a cycle where there is one, and the queue's imports are seen", () => {
    const dir = mkdtempSync(join("src/lib", ".cycle-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import { b } from "./b.ts";\nexport const a = b;\n');
      writeFileSync(join(dir, "b.ts"), 'import type { A } from "./c.ts";\nexport const b = 1;\n');
      writeFileSync(join(dir, "c.ts"), 'export { a as A } from "./a.ts";\n');
      expect(cyclesUnder(dir)).toEqual([[join(dir, "a.ts"), join(dir, "b.ts"), join(dir, "c.ts"), join(dir, "a.ts")]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const queued = importsUnder("src/lib")
      .filter(({ file }) => QUEUE.includes(file))
      .map(({ file, from }) => target(file, from));
    expect(queued).toContain("src/lib/email/payloads.ts");
    expect(queued).toContain("db/schema/outbox.ts");
  });

  it("the database (db/) knows no rules: nothing but its tests imports src/ (the demo seed is src/lib/demo/seed.ts)", () => {
    const offenders = importsUnder("db").filter(({ file, from }) => target(file, from)?.startsWith("src/"));
    expect(offenders).toEqual([]);
    expect(importsUnder("db").some(({ file, from }) => file === "db/client.ts" && from === "./paths.ts")).toBe(true);
  });

  it("finds the imports it looks at (the walk is not empty)", () => {
    const all = importsUnder("src/lib");
    expect(all.some(({ file, from }) => file === "src/lib/cfp/links.ts" && from === "../locale.ts")).toBe(true);
    expect(importsUnder("src/web").some(({ from }) => from === "astro:actions")).toBe(true);
    expect(importsUnder("src/i18n").some(({ file, from }) => file === "src/i18n/format.ts" && from === "../lib/locale.ts")).toBe(true);
  });
});
