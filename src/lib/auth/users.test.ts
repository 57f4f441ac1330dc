import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { authSessions, outbox, signInChallenges, users } from "../../../db/schema/index.ts";
import { hashSecret } from "../security/secrets.ts";
import { createSession, validateSessionToken } from "./sessions.ts";
import { verifySignInCode, verifySignInLink } from "./sign-in.ts";
import {
  addUser,
  findOrCreateUser,
  findUserByEmail,
  hasRole,
  isStaff,
  isValidEmail,
  normalizeEmail,
  restoreUser,
  revokeUser,
  setRoles,
} from "./users.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const T0 = Date.UTC(2013, 5, 1, 9);

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-users-"));
  db = openDatabase(join(dir, "forum.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("addresses", () => {
  it("are trimmed and lower-cased", () => {
    expect(normalizeEmail("  Ada.Lovelace@Example.ORG \n")).toBe("ada.lovelace@example.org");
  });

  it("are checked", () => {
    for (const good of ["ada@example.org", " Ada@Example.org ", "a.b+c@sub.example.gouv.fr"]) expect(isValidEmail(good)).toBe(true);
    for (const bad of ["", "   ", "ada", "ada@", "@example.org", "ada@example", "a b@example.org", `${"a".repeat(250)}@x.org`, 42, null]) {
      expect(isValidEmail(bad)).toBe(false);
    }
  });
});

describe("accounts", () => {
  it("are created plain on first sign-in, once per address whatever its case", () => {
    const first = findOrCreateUser(db, "Ada@Example.org", { language: "fr" });
    expect(first).toMatchObject({ email: "ada@example.org", roles: [], language: "fr", name: "", revokedAt: null, totpKeySealed: null });
    expect(findOrCreateUser(db, " ADA@example.org ").id).toBe(first.id);
    expect(findUserByEmail(db, "ADA@EXAMPLE.ORG")?.id).toBe(first.id);
    expect(db.select().from(users).all()).toHaveLength(1);
    expect(() => findOrCreateUser(db, "not an address")).toThrow('Invalid e-mail address "not an address"');
  });

  it("get staff roles from addUser, which adds to the roles of an existing account", () => {
    const organizer = addUser(db, { email: "Org@Example.org", roles: ["organizer"], name: " Ada\nOrg " });
    expect(organizer).toMatchObject({ email: "org@example.org", roles: ["organizer"], name: "Ada Org" });
    const again = addUser(db, { email: "org@example.org", roles: ["checkin", "reviewer", "checkin"] });
    expect(again.id).toBe(organizer.id);
    expect(again.roles).toEqual(["organizer", "reviewer", "checkin"]);
    expect(again.name).toBe("Ada Org");
    const plain = findOrCreateUser(db, "speaker@example.org");
    expect(addUser(db, { email: "speaker@example.org", roles: ["reviewer"], name: "Sam" })).toMatchObject({
      id: plain.id,
      roles: ["reviewer"],
      name: "Sam",
    });
    expect(() => addUser(db, { email: "x@example.org", roles: ["admin" as "organizer"] })).toThrow('Unknown role "admin"');
    expect(() => addUser(db, { email: "nope", roles: ["organizer"] })).toThrow("Invalid e-mail address");
    expect(findUserByEmail(db, "x@example.org")).toBeUndefined();
  });

  it("have their roles replaced by setRoles, and are staff while they have any", () => {
    const user = addUser(db, { email: "org@example.org", roles: ["organizer", "reviewer"] });
    expect(isStaff(user)).toBe(true);
    expect(hasRole(user, "organizer")).toBe(true);
    expect(hasRole(user, "checkin")).toBe(false);
    const checkin = setRoles(db, user.id, ["checkin"])!;
    expect(checkin.roles).toEqual(["checkin"]);
    expect(hasRole(checkin, "organizer")).toBe(false);
    const plain = setRoles(db, user.id, [])!;
    expect(isStaff(plain)).toBe(false);
    expect(() => setRoles(db, user.id, ["root" as "checkin"])).toThrow('Unknown role "root"');
    expect(setRoles(db, 9999, ["checkin"])).toBeUndefined();
  });

  it("lose every session when revoked, and only theirs; restoring opens no session again", () => {
    const ada = addUser(db, { email: "ada@example.org", roles: ["organizer"] });
    const bob = findOrCreateUser(db, "bob@example.org");
    const a = createSession(db, ada.id, { now: T0 });
    createSession(db, ada.id, { now: T0 });
    const b = createSession(db, bob.id, { now: T0 });
    revokeUser(db, ada.id, T0 + 1000);
    expect(findUserByEmail(db, "ada@example.org")?.revokedAt?.getTime()).toBe(T0 + 1000);
    expect(
      db
        .select()
        .from(authSessions)
        .all()
        .map((s) => s.userId),
    ).toEqual([bob.id]);
    expect(validateSessionToken(db, a.token, T0 + 2000)).toBeNull();
    expect(validateSessionToken(db, b.token, T0 + 2000)).not.toBeNull();
    restoreUser(db, ada.id, T0 + 3000);
    expect(findUserByEmail(db, "ada@example.org")?.revokedAt).toBeNull();
    expect(validateSessionToken(db, a.token, T0 + 4000)).toBeNull();
  });
});

// Each test starts Node: seconds when the machine is busy.
describe("npm run user:add", { timeout: 60_000 }, () => {
  function run(args: string[], env: Record<string, string> = {}) {
    // No APP_SECRET: the script makes the key file next to the temporary database, as on a fresh install.
    const childEnv: Record<string, string | undefined> = { ...process.env, DATABASE_PATH: join(dir, "cli.db") };
    delete childEnv.APP_SECRET;
    delete childEnv.SITE_URL;
    Object.assign(childEnv, env);
    return spawnSync(process.execPath, ["scripts/user-add.mjs", ...args], { cwd: ROOT, env: childEnv, encoding: "utf8", timeout: 30_000 });
  }

  it("creates the organizer and prints a one-time sign-in link and code, sending no e-mail", () => {
    const result = run(["--email", "First.Organizer@Example.org", "--role", "organizer", "--name", "Ada First"], {
      SITE_URL: "https://forum.example.org",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const link = /https:\/\/forum\.example\.org\/signin\/link\/([A-Za-z0-9_-]{43})\n/.exec(result.stdout);
    expect(link).not.toBeNull();
    expect(result.stdout).toMatch(/the code: \d{6}\n/);
    expect(result.stdout).toContain("second factor");
    expect(result.stdout).toContain("set up at the first sign-in");

    const cli = openDatabase(join(dir, "cli.db"));
    try {
      expect(cli.select().from(users).all()).toMatchObject([
        { email: "first.organizer@example.org", roles: ["organizer"], name: "Ada First" },
      ]);
      expect(cli.select().from(outbox).all()).toEqual([]);
      const [challenge] = cli.select().from(signInChallenges).all();
      expect(challenge!.id).toBe(hashSecret(link![1]!));
      const signedIn = verifySignInLink(cli, link![1]!);
      expect(signedIn).toMatchObject({ ok: true, user: { email: "first.organizer@example.org", roles: ["organizer"] } });
    } finally {
      cli.$client.close();
    }
  });

  it("adds a role to an existing account, and its printed code signs in", () => {
    expect(run(["--email", "ada@example.org", "--role", "organizer"]).status).toBe(0);
    const second = run(["--email", "ada@example.org", "--role", "reviewer"]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("http://localhost:4321/signin/link/");
    expect(second.stdout).toContain("roles organizer, reviewer");
    const code = /the code: (\d{6})\n/.exec(second.stdout)![1]!;
    const cli = openDatabase(join(dir, "cli.db"));
    try {
      expect(verifySignInCode(cli, "ada@example.org", code)).toMatchObject({ ok: true, user: { roles: ["organizer", "reviewer"] } });
    } finally {
      cli.$client.close();
    }
  });

  it.each([
    [["--role", "organizer"], "--email is required."],
    [["--email", "not-an-address", "--role", "organizer"], '"not-an-address" is not a valid e-mail address.'],
    [["--email", "ada@example.org", "--role", "admin"], 'unknown role "admin" (expected one of: organizer, reviewer, checkin).'],
    [["--email", "ada@example.org", "--colour", "blue"], "Unknown option '--colour'"],
    [["--email"], "argument missing"],
  ])("refuses %j with exit code 2 and a clear message, touching no database", (args, message) => {
    const result = run(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("Usage: npm run user:add -- --email");
    expect(result.stdout).toBe("");
    expect(existsSync(join(dir, "cli.db"))).toBe(false);
  });
});
