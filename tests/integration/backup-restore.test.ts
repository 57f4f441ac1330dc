// Backup and restore as an operator does them: `npm run db:backup` while registrations keep
// arriving through the real server, then stop, `npm run db:restore`, start. Every registration
// acknowledged before the backup began is back; the database is sound; the server serves it.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, registrationFields } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const REGISTER = "/register?_action=register";

/** Runs `npm run <script>`'s command (node db/<script>-cli.ts) and resolves to its exit code and output. */
function run(cli: string, args: string[], databasePath: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, DATABASE_PATH: databasePath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

let dir: string;
let databasePath: string;
let server: TestServer | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-backup-"));
  databasePath = join(dir, "forum.db");
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("backup under write load, then restore", () => {
  it("keeps every registration acknowledged before the backup began", async () => {
    server = await startServer({ DATABASE_PATH: databasePath, WEB_CONCURRENCY: "2", REGISTER_LIMIT_IP: "100000/60", MAIL_POLL_MS: "100" });
    const acknowledged: { email: string; at: number }[] = [];
    const failures: unknown[] = [];
    let running = true;
    let n = 0;
    const loop = async (worker: number) => {
      while (running) {
        const email = `load.${worker}.${n++}@example.org`;
        try {
          const response = await postForm(server!, REGISTER, registrationFields(email));
          if (response.status === 303) acknowledged.push({ email, at: Date.now() });
          else failures.push(response.status);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const loops = Array.from({ length: 6 }, (_, i) => loop(i));
    while (acknowledged.length < 60) await new Promise((r) => setTimeout(r, 20));

    const backupFile = join(dir, "backup.db");
    const startedAt = Date.now();
    const backup = await run("db/backup-cli.ts", [backupFile], databasePath);
    const endedAt = Date.now();
    expect(backup.output).toContain("Backed up");
    expect(backup.code).toBe(0);
    // Writes went on during and after the backup.
    const during = acknowledged.filter((a) => a.at > startedAt && a.at < endedAt).length;
    const atEnd = acknowledged.length;
    while (acknowledged.length < atEnd + 20) await new Promise((r) => setTimeout(r, 20));
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);

    // A database in use is not replaced.
    const busy = await run("db/restore-cli.ts", [backupFile], databasePath);
    expect(busy.code).toBe(3);
    expect(busy.output).toContain("is in use (is the server running?)");

    await server.stop();
    server = undefined;
    const restored = await run("db/restore-cli.ts", [backupFile], databasePath);
    expect(restored.output).toContain("Restored");
    expect(restored.code).toBe(0);
    expect(readdirSync(dir).some((f) => f.startsWith("forum.db.before-restore-"))).toBe(true);

    const db = new Database(databasePath, { readonly: true });
    const present = new Set(db.prepare("select email from registrations").pluck().all() as string[]);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(db.pragma("foreign_key_check")).toEqual([]);
    // Each registration came with its e-mail, in the same transaction.
    expect(
      db
        .prepare("select count(*) from registrations r where not exists (select 1 from outbox o where o.registration_id = r.id)")
        .pluck()
        .get(),
    ).toBe(0);
    db.close();
    const before = acknowledged.filter((a) => a.at < startedAt);
    const after = acknowledged.filter((a) => a.at > endedAt);
    const missing = before.filter((a) => !present.has(a.email));
    expect(missing).toEqual([]);
    // And the copy is of its moment: what was acknowledged after it ended is not in it.
    expect(after.filter((a) => present.has(a.email))).toEqual([]);
    console.log(
      `backup under load: ${acknowledged.length} registrations acknowledged (${before.length} before the backup began, ${during} while it ran, ` +
        `${after.length} after it ended); ${present.size} in the restored database; ${before.length - missing.length} of the ${before.length} acknowledged before it present; ` +
        `backup took ${endedAt - startedAt} ms`,
    );

    // The server starts on the restored database and serves what it holds.
    server = await startServer({ DATABASE_PATH: databasePath });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/^forum_registrations\{state="pending_email"\} (\d+)$/m.exec(metrics)?.[1])).toBe(present.size);
  }, 180_000);
});
