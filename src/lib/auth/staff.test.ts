import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, authSessions, outbox, users } from "../../../db/schema/index.ts";
import { createSession } from "./sessions.ts";
import { changeRoles, inviteStaff, listStaff, resetSecondFactor, restoreStaff, revokeStaff } from "./staff.ts";
import { addUser, findOrCreateUser, findUserById, revokeUser } from "./users.ts";

const T0 = Date.UTC(2013, 5, 1, 9);
const appKey = randomBytes(32);

let dir: string;
let db: Db;
let organizer: { id: number; email: string };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-staff-"));
  db = openDatabase(join(dir, "forum.db"));
  const user = addUser(db, { email: "boss@example.org", roles: ["organizer"] });
  organizer = { id: user.id, email: user.email };
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const audit = () =>
  db
    .select()
    .from(auditLog)
    .all()
    .map(({ actorEmail, action, subjectType, subjectId, before, after }) => ({
      actorEmail,
      action,
      subjectType,
      subjectId,
      before,
      after,
    }));
const sessionsOf = (userId: number) => db.select().from(authSessions).where(eq(authSessions.userId, userId)).all();

describe("the staff list", () => {
  it("lists accounts with a role and revoked ones, by address, with the newest open session", () => {
    const reviewer = addUser(db, { email: "rev@example.org", roles: ["reviewer"] });
    findOrCreateUser(db, "attendee@example.org");
    const gone = findOrCreateUser(db, "gone@example.org");
    revokeUser(db, gone.id, T0);
    createSession(db, reviewer.id, { now: T0 });
    createSession(db, reviewer.id, { now: T0 + 60_000 });
    const list = listStaff(db);
    expect(list.map((a) => [a.email, a.roles, a.revokedAt !== null])).toEqual([
      ["boss@example.org", ["organizer"], false],
      ["gone@example.org", [], true],
      ["rev@example.org", ["reviewer"], false],
    ]);
    expect(list[2]!.lastSignInAt).toEqual(new Date(T0 + 60_000));
    expect(list[0]!.lastSignInAt).toBeNull();
    expect(list[0]!.totpEnabledAt).toBeNull();
  });
});

describe("invitations", () => {
  it("create the account with its roles, send a sign-in link in the chosen language, and are audited", () => {
    const result = inviteStaff(db, appKey, organizer, { email: " New@Example.org ", roles: ["checkin"], language: "fr" }, T0);
    expect(result).toMatchObject({ ok: true, user: { email: "new@example.org" } });
    const created = db.select().from(users).where(eq(users.email, "new@example.org")).get()!;
    expect(created.roles).toEqual(["checkin"]);
    expect(db.select().from(outbox).all()).toMatchObject([{ template: "auth.sign_in", language: "fr", recipient: "new@example.org" }]);
    expect(audit()).toEqual([
      {
        actorEmail: "boss@example.org",
        action: "staff.invite",
        subjectType: "user",
        subjectId: String(created.id),
        before: null,
        after: { email: "new@example.org", roles: ["checkin"] },
      },
    ]);
  });

  it("add roles to an existing account, and refuse a revoked one", () => {
    const existing = addUser(db, { email: "rev@example.org", roles: ["reviewer"] });
    expect(inviteStaff(db, appKey, organizer, { email: "rev@example.org", roles: ["checkin"], language: "en" }, T0).ok).toBe(true);
    expect(findUserById(db, existing.id)!.roles).toEqual(["reviewer", "checkin"]);
    expect(audit()[0]).toMatchObject({ before: { roles: ["reviewer"] }, after: { roles: ["reviewer", "checkin"] } });

    revokeUser(db, existing.id, T0);
    expect(inviteStaff(db, appKey, organizer, { email: "rev@example.org", roles: ["organizer"], language: "en" }, T0)).toEqual({
      ok: false,
      reason: "revoked",
    });
    expect(findUserById(db, existing.id)!.roles).toEqual(["reviewer", "checkin"]);
    expect(db.select().from(outbox).all()).toHaveLength(1);
  });
});

describe("changes", () => {
  it("change roles with before and after in the audit log; nothing is recorded when nothing changes", () => {
    const reviewer = addUser(db, { email: "rev@example.org", roles: ["reviewer"] });
    expect(changeRoles(db, organizer, reviewer.id, ["checkin", "reviewer"], T0).ok).toBe(true);
    expect(findUserById(db, reviewer.id)!.roles).toEqual(["reviewer", "checkin"]);
    expect(changeRoles(db, organizer, reviewer.id, ["reviewer", "checkin"], T0).ok).toBe(true);
    expect(changeRoles(db, organizer, reviewer.id, [], T0).ok).toBe(true);
    expect(audit()).toEqual([
      {
        actorEmail: "boss@example.org",
        action: "staff.roles",
        subjectType: "user",
        subjectId: String(reviewer.id),
        before: { roles: ["reviewer"] },
        after: { roles: ["reviewer", "checkin"] },
      },
      {
        actorEmail: "boss@example.org",
        action: "staff.roles",
        subjectType: "user",
        subjectId: String(reviewer.id),
        before: { roles: ["reviewer", "checkin"] },
        after: { roles: [] },
      },
    ]);
    expect(changeRoles(db, organizer, 9999, ["reviewer"], T0)).toEqual({ ok: false, reason: "not_found" });
  });

  it("revoke (ending every session) and restore, audited", () => {
    const reviewer = addUser(db, { email: "rev@example.org", roles: ["reviewer"] });
    createSession(db, reviewer.id, { now: T0 });
    expect(revokeStaff(db, organizer, reviewer.id, T0 + 1000).ok).toBe(true);
    expect(findUserById(db, reviewer.id)!.revokedAt).toEqual(new Date(T0 + 1000));
    expect(sessionsOf(reviewer.id)).toEqual([]);
    expect(restoreStaff(db, organizer, reviewer.id, T0 + 2000).ok).toBe(true);
    expect(findUserById(db, reviewer.id)!.revokedAt).toBeNull();
    expect(audit().map((e) => [e.action, e.before, e.after])).toEqual([
      ["staff.revoke", { revokedAt: null }, { revokedAt: new Date(T0 + 1000).toISOString() }],
      ["staff.restore", { revokedAt: new Date(T0 + 1000).toISOString() }, { revokedAt: null }],
    ]);
  });

  it("reset a second factor: the key goes and the sessions end, audited", () => {
    const reviewer = addUser(db, { email: "rev@example.org", roles: ["reviewer"] });
    db.update(users)
      .set({ totpKeySealed: "sealed", totpEnabledAt: new Date(T0) })
      .where(eq(users.id, reviewer.id))
      .run();
    createSession(db, reviewer.id, { now: T0 });
    expect(resetSecondFactor(db, organizer, reviewer.id, T0 + 1000).ok).toBe(true);
    expect(findUserById(db, reviewer.id)).toMatchObject({ totpKeySealed: null, totpEnabledAt: null });
    expect(sessionsOf(reviewer.id)).toEqual([]);
    expect(audit()).toMatchObject([
      { action: "staff.reset_second_factor", before: { totpEnabledAt: new Date(T0).toISOString() }, after: { totpEnabledAt: null } },
    ]);
  });
});

describe("an organizer", () => {
  it("cannot remove their own organizer role, revoke or reset themselves; nothing changes", () => {
    createSession(db, organizer.id, { now: T0 });
    expect(changeRoles(db, organizer, organizer.id, ["reviewer"], T0)).toEqual({ ok: false, reason: "self" });
    expect(changeRoles(db, organizer, organizer.id, [], T0)).toEqual({ ok: false, reason: "self" });
    expect(revokeStaff(db, organizer, organizer.id, T0)).toEqual({ ok: false, reason: "self" });
    expect(resetSecondFactor(db, organizer, organizer.id, T0)).toEqual({ ok: false, reason: "self" });
    expect(findUserById(db, organizer.id)).toMatchObject({ roles: ["organizer"], revokedAt: null });
    expect(sessionsOf(organizer.id)).toHaveLength(1);
    expect(audit()).toEqual([]);
    // Adding a role to themselves is fine.
    expect(changeRoles(db, organizer, organizer.id, ["organizer", "checkin"], T0).ok).toBe(true);
  });

  it("who was revoked or demoted meanwhile can no longer act", () => {
    const other = addUser(db, { email: "other@example.org", roles: ["organizer"] });
    const target = addUser(db, { email: "rev@example.org", roles: ["reviewer"] });
    expect(revokeStaff(db, { id: other.id, email: other.email }, organizer.id, T0).ok).toBe(true);
    expect(revokeStaff(db, organizer, target.id, T0)).toEqual({ ok: false, reason: "forbidden" });
    expect(changeRoles(db, organizer, target.id, [], T0)).toEqual({ ok: false, reason: "forbidden" });
    expect(inviteStaff(db, appKey, organizer, { email: "x@example.org", roles: ["reviewer"], language: "en" }, T0)).toEqual({
      ok: false,
      reason: "forbidden",
    });
    expect(findUserById(db, target.id)).toMatchObject({ roles: ["reviewer"], revokedAt: null });
  });
});
