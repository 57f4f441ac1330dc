// Several processes on one database (WEB_CONCURRENCY=2): requests are served by both HTTP workers,
// exactly one process delivers mail, a reload under a steady stream of requests (and forms) drops
// none, and a worker that dies is replaced.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailboxOf, postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const REGISTER = "/register?_action=register";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ WEB_CONCURRENCY: "2", REGISTER_LIMIT_IP: "100000/60", MAIL_POLL_MS: "200" });
  await server.waitForOutput(/Forum site listening/);
});
afterAll(() => server?.stop());

interface LogLine {
  pid: number;
  role: string;
  msg: string;
  route?: string;
  status?: number;
  reqId?: string;
}

/** The server's JSON log lines (after `from` characters of its output). */
function logLines(from = 0): LogLine[] {
  return server
    .output()
    .slice(from)
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** GET on a fresh connection (as nginx talks to an upstream by default). */
function getFresh(path: string, target: TestServer = server): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${target.url}${path}`, { agent: false, headers: { Connection: "close" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

async function metrics(): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const httpPids = (lines: LogLine[]) => new Set(lines.filter((l) => l.role === "http" && l.route).map((l) => l.pid));

describe("WEB_CONCURRENCY=2", () => {
  it("serves requests from both HTTP workers, with one background process", async () => {
    const from = server.output().length;
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push(await getFresh("/health"));
    expect(statuses).toEqual(Array(30).fill(200));
    // Each line is written once its response is over, by the worker that served it.
    const deadline = Date.now() + 10_000;
    while (logLines(from).filter((l) => l.route === "/health").length < 30 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const served = logLines(from).filter((l) => l.route === "/health");
    expect(served.length).toBe(30);
    expect(new Set(served.map((l) => l.pid)).size).toBe(2);

    const text = await metrics();
    expect(value(text, 'forum_workers{role="http"}')).toBe(2);
    expect(value(text, 'forum_workers{role="background"}')).toBe(1);
    // Both workers' counters, added up.
    expect(value(text, 'forum_http_requests_total{method="GET",route="/health",status="2xx"}')).toBeGreaterThanOrEqual(30);
  });

  it("delivers every message exactly once, from one process", async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `two.procs.${i}@example.org`);
    const responses = await Promise.all(emails.map((email) => postForm(server, REGISTER, registrationFields(email))));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(303));
    const data = serverDb(server);
    try {
      const deadline = Date.now() + 20_000;
      while (data.count("select count(*) as n from outbox where recipient like 'two.procs.%' and state = 'sent'") < 12) {
        if (Date.now() > deadline) throw new Error("the messages were not all sent");
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(data.count("select count(*) as n from outbox where recipient like 'two.procs.%'")).toBe(12);
    } finally {
      data.close();
    }
    expect(readdirSync(mailboxOf(server)).filter((f) => f.endsWith(".eml")).length).toBeGreaterThanOrEqual(12);
    const text = await metrics();
    expect(value(text, "forum_mail_worker_running")).toBe(1);
    const workers = logLines().filter((l) => l.msg.startsWith("Mail worker: delivering"));
    expect(workers).toHaveLength(1);
    expect(workers[0].role).toBe("background");
  });

  it("reloads on SIGHUP under a steady stream of requests and forms without dropping one", async () => {
    const before = httpPids(logLines());
    const from = server.output().length;
    const results: { kind: string; status: number | string }[] = [];
    let running = true;
    let n = 0;
    const loop = async (kind: "page" | "fresh" | "form") => {
      while (running) {
        try {
          if (kind === "page") results.push({ kind, status: (await fetch(`${server.url}/programme`)).status });
          else if (kind === "fresh") results.push({ kind, status: await getFresh("/health") });
          else {
            const email = `reload.${n++}@example.org`;
            results.push({ kind: email, status: (await postForm(server, REGISTER, registrationFields(email))).status });
          }
        } catch (error) {
          results.push({ kind, status: String((error as Error).cause ?? error) });
        }
        // A steady stream, not a flood: the machine running the tests is small and shared.
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const loops = [loop("page"), loop("page"), loop("fresh"), loop("form")];
    // Some traffic before, during and after the reload.
    while (results.length < 20) await new Promise((r) => setTimeout(r, 20));
    server.signal("SIGHUP");
    await server.waitForOutput(/Reload complete/, { from, timeoutMs: 240_000 });
    const after = results.length;
    while (results.length < after + 20) await new Promise((r) => setTimeout(r, 20));
    running = false;
    await Promise.all(loops);

    const failed = results.filter((r) => r.status !== 200 && r.status !== 303);
    const byKind = (kind: string) => results.filter((r) => (kind === "form" ? r.kind.startsWith("reload.") : r.kind === kind)).length;
    console.log(
      `reload under load: ${results.length} requests (${byKind("page")} keep-alive pages, ${byKind("fresh")} on fresh connections, ` +
        `${byKind("form")} registrations), ${failed.length} failed`,
    );
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThan(40);
    // New workers answer now; the old ones are gone.
    const served = logLines(from);
    const reloadAt = served.findIndex((l) => l.msg.startsWith("Reload complete"));
    const now = httpPids(served.slice(reloadAt + 1));
    expect(now.size).toBeGreaterThan(0);
    for (const pid of now) expect(before.has(pid)).toBe(false);
    // Every acknowledged form is a registration.
    const forms = results.filter((r) => r.kind.startsWith("reload."));
    expect(forms.length).toBeGreaterThan(0);
    const data = serverDb(server);
    try {
      for (const { kind } of forms) expect(data.count("select count(*) as n from registrations where email = ?", kind)).toBe(1);
    } finally {
      data.close();
    }
    const text = await metrics();
    expect(value(text, 'forum_workers{role="http"}')).toBe(2);
    expect(value(text, "forum_mail_worker_running")).toBe(1);
    // Three Node starts in a row: seconds on an idle machine, minutes on a busy one.
  }, 300_000);

  it("replaces a worker that dies", async () => {
    const from = server.output().length;
    for (let i = 0; i < 6; i++) await getFresh("/health");
    await server.waitForOutput(/"route":"\/health"/, { from });
    const victim = [...httpPids(logLines(from))][0];
    process.kill(victim, "SIGKILL");
    await server.waitForOutput(new RegExp(`http worker ${victim} exited \\(SIGKILL\\); starting another`), { from });
    // The other worker keeps serving meanwhile, and a new one joins it.
    expect(await getFresh("/health")).toBe(200);
    await server.waitForOutput(/HTTP worker \d+ listening, in place of the one that exited/, { from, timeoutMs: 120_000 });
    const text = await metrics();
    expect(value(text, 'forum_workers{role="http"}')).toBe(2);
    expect(value(text, 'forum_worker_unexpected_exits_total{role="http"}')).toBe(1);
    const later = server.output().length;
    for (let i = 0; i < 10; i++) expect(await getFresh("/health")).toBe(200);
    await server.waitForOutput(/"route":"\/health"/, { from: later });
    expect(httpPids(logLines(later)).has(victim)).toBe(false);
  });
});

describe("stopping", () => {
  it("SIGTERM stops every process and exits 0", async () => {
    const other = await startServer({ WEB_CONCURRENCY: "2" });
    await other.waitForOutput(/Forum site listening/);
    other.signal("SIGTERM");
    await other.waitForOutput(/"msg":"Stopped\."/);
    const deadline = Date.now() + 10_000;
    while (other.exitCode() === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(other.exitCode()).toBe(0);
    await other.stop();
  });

  it("refuses a WEB_CONCURRENCY that is not a count", async () => {
    await expect(startServer({ WEB_CONCURRENCY: "many" })).rejects.toThrow(/WEB_CONCURRENCY must be a whole number/);
  });
});

describe("upgrades", () => {
  let dir: string;
  let migrations: string;
  let journal: { entries: { idx: number; when: number; tag: string }[] };
  const journalFile = () => join(migrations, "meta/_journal.json");
  /** Adds a migration to the server's migrations folder, as an upgrade brings one. */
  function addMigration(tag: string, sql: string) {
    const last = journal.entries.at(-1)!;
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag });
    writeFileSync(join(migrations, `${tag}.sql`), sql);
    writeFileSync(journalFile(), JSON.stringify(journal));
  }
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "forum-upgrade-"));
    migrations = join(dir, "migrations");
    cpSync("db/migrations", migrations, { recursive: true });
    journal = JSON.parse(readFileSync(journalFile(), "utf8"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a reload applies new migrations; a failing one abandons the reload, the site keeps serving, the database is as it was", async () => {
    const env = { DATABASE_PATH: join(dir, "forum.db"), MIGRATIONS_DIR: migrations, MAIL_WORKER: "off" };
    const upgraded = await startServer(env);
    try {
      await upgraded.waitForOutput(/Forum site listening/);
      addMigration("9000_notes", "CREATE TABLE `upgrade_notes` (`id` integer PRIMARY KEY);");
      let from = upgraded.output().length;
      upgraded.signal("SIGHUP");
      await upgraded.waitForOutput(/Reload complete/, { from, timeoutMs: 240_000 });
      const tables = () => {
        const db = new Database(env.DATABASE_PATH, { readonly: true });
        try {
          return {
            tables: db.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all(),
            migrations: db.prepare("select count(*) from __drizzle_migrations").pluck().get(),
          };
        } finally {
          db.close();
        }
      };
      expect(tables().tables).toContain("upgrade_notes");
      const before = tables();

      addMigration(
        "9001_broken",
        "CREATE TABLE `half_done` (`id` integer);\n--> statement-breakpoint\nALTER TABLE `no_such_table` ADD `x` text;",
      );
      from = upgraded.output().length;
      upgraded.signal("SIGHUP");
      await upgraded.waitForOutput(/Reload abandoned: a database migration failed, the database is as it was/, {
        from,
        timeoutMs: 240_000,
      });
      expect(upgraded.output().slice(from)).toContain("no such table: no_such_table");
      expect(tables()).toEqual(before);
      expect(await getFresh("/health", upgraded)).toBe(200);

      // Started afresh with the broken migration, the server refuses to start.
      await upgraded.stop();
      await expect(startServer(env)).rejects.toThrow(/Not started: a database migration failed/);
      expect(tables()).toEqual(before);
    } finally {
      await upgraded.stop();
    }
  }, 600_000);
});
