// Rate limits live in the database: two server processes on one database file enforce one limit
// between them, a restart keeps it, and the table holds no address in clear.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, registrationFields } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const REGISTER = "/register?_action=register";

let dir: string;
let env: Record<string, string>;
beforeAll(() => {
  // The database outside either server's data directory, so that it outlives them.
  dir = mkdtempSync(join(tmpdir(), "forum-limits-"));
  env = { DATABASE_PATH: join(dir, "forum.db"), MAIL_WORKER: "off", REGISTER_LIMIT_IP: "4/600", SIGNIN_LIMIT_EMAIL: "2/900" };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rate limits shared by processes and kept across restarts", () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startServer(env);
    second = await startServer(env);
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
  });

  it("counts the registrations of one client across two server processes", async () => {
    const statuses = [];
    for (const [i, server] of [first, second, first, second, first, second].entries())
      statuses.push((await postForm(server, REGISTER, registrationFields(`limits.${i}@example.org`))).status);
    expect(statuses).toEqual([303, 303, 303, 303, 429, 429]);
  });

  it("counts sign-in requests for one address across both", async () => {
    const ask = (server: TestServer) =>
      postForm(server, "/signin?_action=requestSignIn", { email: "Limited.Person@example.org", next: "/account" });
    expect((await ask(first)).status).toBe(303);
    expect((await ask(second)).status).toBe(303);
    const refused = await ask(first);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(800);
  });

  it("keeps the limits after both servers restart", async () => {
    await first.stop();
    await second.stop();
    const again = await startServer(env);
    try {
      expect((await postForm(again, REGISTER, registrationFields("limits.after@example.org"))).status).toBe(429);
    } finally {
      await again.stop();
    }
  });

  it("stores a keyed hash of each client and address, never the value", () => {
    const db = new Database(env.DATABASE_PATH, { readonly: true });
    try {
      const rows = db.prepare("select limiter, key, slots from rate_limits order by limiter").all() as { limiter: string; key: string }[];
      expect(rows.map((r) => r.limiter)).toEqual(expect.arrayContaining(["register.ip", "register.email", "signin.email", "signin.ip"]));
      const stored = JSON.stringify(rows).toLowerCase();
      expect(stored).not.toContain("127.0.0.1");
      expect(stored).not.toContain("example.org");
      expect(stored).not.toContain("limited.person");
      for (const { key } of rows) expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    } finally {
      db.close();
    }
  });
});
