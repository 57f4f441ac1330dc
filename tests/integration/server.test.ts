// The running server as an operator and a browser see it: health, security headers, conditional
// requests, CSRF origin check, migrations and the demo seed on start.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSessions, contentSpeakers } from "../helpers/content.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const SESSION = "/sessions/opening-keynote-anticipating-crime";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

const get = (path: string, init: RequestInit = {}) => fetch(server.url + path, { redirect: "manual", ...init });

describe("GET /health", () => {
  it("answers 200 when the database is reachable", async () => {
    const response = await get("/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok", database: true });
  });

  it("answers 503 when the database cannot be opened, without taking the server down, and 200 once it can", async () => {
    const dir = mkdtempSync(join(tmpdir(), "forum-broken-db-"));
    // A regular file where the database's directory should be: opening fails with ENOTDIR.
    const blocker = join(dir, "not-a-directory");
    writeFileSync(blocker, "");
    const broken = await startServer({ DATABASE_PATH: join(blocker, "forum.db") }, { healthy: false });
    try {
      const response = await fetch(`${broken.url}/health`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unavailable", database: false });
      expect(broken.output()).toContain("Database unavailable");

      // A page that needs the database fails on its own; the process keeps serving.
      const page = await fetch(`${broken.url}${SESSION}`);
      expect(page.status).toBeGreaterThanOrEqual(500);
      expect((await fetch(`${broken.url}/health`)).status).toBe(503);
      expect(broken.exitCode()).toBeNull();

      // The connection is retried on the next request: fixing the path heals the server.
      rmSync(blocker);
      expect((await fetch(`${broken.url}/health`)).status).toBe(200);
    } finally {
      await broken.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("security headers", () => {
  it.each(["/", "/fr/", "/programme", "/programme?view=list", SESSION, "/no-such-page"])(
    "%s has a strict CSP, nosniff and no framing",
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(path === "/no-such-page" ? 404 : 200);
      const csp = response.headers.get("content-security-policy") ?? "";
      const directives = new Map(
        csp
          .split(";")
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values.join(" ")]),
      );
      expect(directives.get("default-src")).toBe("'self'");
      expect(directives.get("script-src")).toBe("'self'");
      expect(directives.get("style-src")).toBe("'self'");
      expect(directives.get("object-src")).toBe("'none'");
      expect(directives.get("frame-ancestors")).toBe("'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    },
  );

  it("HTML pages carry no inline script or style that the CSP would block", async () => {
    for (const path of ["/", "/fr/", "/programme", "/programme?view=list", SESSION]) {
      const html = await (await get(path)).text();
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html, path).not.toMatch(/<style[\s>]/i);
      expect(html, path).not.toMatch(/\sstyle="/i);
      expect(html, path).not.toMatch(/\son[a-z]+="/i);
    }
  });
});

describe("conditional requests", () => {
  it.each(["/", "/programme", "/programme?view=list", SESSION, "/fr/programme"])(
    "%s has a stable ETag and answers If-None-Match with 304",
    async (path) => {
      const first = await get(path);
      expect(first.status).toBe(200);
      const etag = first.headers.get("etag");
      expect(etag).toMatch(/^"[^"]+"$/);
      const body = await first.text();

      const again = await get(path);
      expect(again.headers.get("etag"), "same bytes, same ETag").toBe(etag);
      expect(await again.text()).toBe(body);

      const notModified = await get(path, { headers: { "If-None-Match": etag! } });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get("etag")).toBe(etag);
      expect(await notModified.text()).toBe("");

      // Weak comparison (RFC 9110 §13.1.2) and lists.
      expect((await get(path, { headers: { "If-None-Match": `"x", W/${etag}` } })).status).toBe(304);
      const changed = await get(path, { headers: { "If-None-Match": '"something-else"' } });
      expect(changed.status).toBe(200);
      expect(await changed.text()).toBe(body);
    },
  );

  it("HEAD answers like GET without a body", async () => {
    for (const path of ["/", "/programme", SESSION]) {
      const got = await get(path);
      const head = await get(path, { method: "HEAD" });
      expect(head.status, path).toBe(200);
      expect(head.headers.get("content-type")).toBe(got.headers.get("content-type"));
      expect(head.headers.get("etag")).toBe(got.headers.get("etag"));
      expect(head.headers.get("content-security-policy")).toBe(got.headers.get("content-security-policy"));
      expect(await head.text()).toBe("");
      expect((await get(path, { method: "HEAD", headers: { "If-None-Match": got.headers.get("etag")! } })).status).toBe(304);
    }
  });

  it("a missing page answers 404 to HEAD too", async () => {
    expect((await get("/sessions/no-such-session", { method: "HEAD" })).status).toBe(404);
  });
});

describe("cross-site form posts", () => {
  const form = { "Content-Type": "application/x-www-form-urlencoded" };

  it("are refused with 403 from another origin", async () => {
    const response = await get("/programme", {
      method: "POST",
      headers: { ...form, Origin: "https://attacker.example" },
      body: "day=2013-07-02",
    });
    expect(response.status).toBe(403);
  });

  it("are refused with 403 without an Origin header", async () => {
    const response = await get("/programme", { method: "POST", headers: form, body: "day=2013-07-02" });
    expect(response.status).toBe(403);
  });

  it("are refused with 403 from a look-alike origin (other port)", async () => {
    const origin = `http://127.0.0.1:${server.port === 65535 ? 1 : server.port + 1}`;
    const response = await get("/programme", { method: "POST", headers: { ...form, Origin: origin }, body: "day=2013-07-02" });
    expect(response.status).toBe(403);
  });

  it("pass the origin check from the site itself", async () => {
    const response = await get("/programme", { method: "POST", headers: { ...form, Origin: server.url }, body: "day=2013-07-02" });
    expect(response.status).not.toBe(403);
  });
});

describe("start-up on a database", () => {
  const migrations = readdirSync("db/migrations").filter((f) => f.endsWith(".sql"));
  const journal = JSON.parse(readFileSync("db/migrations/meta/_journal.json", "utf8")) as { entries: unknown[] };
  const tablesInMigrations = migrations
    .flatMap((f) => [...readFileSync(join("db/migrations", f), "utf8").matchAll(/CREATE TABLE [`"]?(\w+)[`"]?/g)].map((m) => m[1]))
    .sort();

  let dir: string;
  let databasePath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "forum-restart-"));
    databasePath = join(dir, "nested", "forum.db");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Reads from the database file of a (stopped or running) server. */
  function inspect<T>(read: (db: Database.Database) => T): T {
    const db = new Database(databasePath, { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }
  const snapshot = () =>
    inspect((db) => ({
      sessions: db.prepare("select id, slug from sessions order by id").all(),
      speakers: db.prepare("select id, slug from speakers order by id").all(),
      links: (db.prepare("select count(*) as n from session_speakers").get() as { n: number }).n,
      rooms: (db.prepare("select count(*) as n from rooms").get() as { n: number }).n,
    }));

  let first: ReturnType<typeof snapshot>;

  it("creates a fresh database with every migration applied", async () => {
    const fresh = await startServer({ DATABASE_PATH: databasePath });
    try {
      const tables = inspect((db) =>
        (
          db
            .prepare(
              "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name",
            )
            .all() as { name: string }[]
        ).map((r) => r.name),
      );
      expect(tables).toEqual(tablesInMigrations);
      const applied = inspect((db) => (db.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number }).n);
      expect(applied).toBe(journal.entries.length);
      expect(inspect((db) => db.pragma("journal_mode", { simple: true }))).toBe("wal");
    } finally {
      await fresh.stop();
    }
  });

  it("loaded the demo edition into the empty database", () => {
    first = snapshot();
    expect(first.sessions.map((s) => (s as { slug: string }).slug).sort()).toEqual(
      contentSessions()
        .map((s) => s.slug)
        .sort(),
    );
    expect(first.speakers.map((s) => (s as { slug: string }).slug).sort()).toEqual(
      contentSpeakers()
        .map((s) => s.slug)
        .sort(),
    );
    expect(first.links).toBe(contentSessions().reduce((n, s) => n + (s.speakers?.length ?? 0), 0));
    expect(first.rooms).toBe((parse(readFileSync("content/programme/setup.yaml", "utf8")) as { rooms: unknown[] }).rooms.length);
  });

  it("loads it only once: a restart on the same database changes nothing", async () => {
    const again = await startServer({ DATABASE_PATH: databasePath });
    try {
      expect((await fetch(`${again.url}${SESSION}`)).status).toBe(200);
    } finally {
      await again.stop();
    }
    expect(snapshot()).toEqual(first);
  });
});
