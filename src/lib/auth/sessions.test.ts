import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { authSessions, users } from "../../../db/schema/auth.ts";
import { hashSecret } from "../security/secrets.ts";
import {
  createSession,
  generateSessionToken,
  invalidateSession,
  invalidateUserSessions,
  markSessionTwoFactorVerified,
  purgeExpiredSessions,
  SESSION_COOKIE,
  SESSION_DAYS,
  sessionCookieOptions,
  validateSessionToken,
} from "./sessions.ts";
import { findOrCreateUser, revokeUser } from "./users.ts";

const DAY = 86_400_000;
const T0 = Date.UTC(2013, 5, 1, 9);

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-sessions-"));
  db = openDatabase(join(dir, "forum.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const storedSessions = () => db.select().from(authSessions).all();

describe("session tokens", () => {
  it("are 160 random bits in lower-case base32, never twice the same", () => {
    const tokens = new Set(Array.from({ length: 2000 }, generateSessionToken));
    expect(tokens.size).toBe(2000);
    for (const token of tokens) expect(token).toMatch(/^[a-z2-7]{32}$/);
  });

  it("are stored only as their SHA-256: the database holds no usable token", () => {
    const user = findOrCreateUser(db, "ada@example.org");
    const { token, session } = createSession(db, user.id, { now: T0 });
    expect(session.id).toBe(hashSecret(token));
    expect(session.id).not.toContain(token);
    const dump = JSON.stringify(db.$client.prepare("select * from auth_sessions").all());
    expect(dump).not.toContain(token);
    // The hash itself is not a token: presented as a cookie, it opens nothing.
    expect(validateSessionToken(db, session.id, T0)).toBeNull();
    expect(validateSessionToken(db, token, T0)?.user.id).toBe(user.id);
  });
});

describe("creating and validating sessions", () => {
  it("opens a session of SESSION_DAYS, without the second factor unless told", () => {
    const user = findOrCreateUser(db, "ada@example.org");
    const { session } = createSession(db, user.id, { now: T0 });
    expect(SESSION_DAYS).toBe(30);
    expect(session).toMatchObject({ userId: user.id, twoFactorVerified: false });
    expect(session.expiresAt.getTime()).toBe(T0 + 30 * DAY);
    expect(session.createdAt.getTime()).toBe(T0);
    expect(createSession(db, user.id, { now: T0, twoFactorVerified: true }).session.twoFactorVerified).toBe(true);
    expect(storedSessions()).toHaveLength(2);
  });

  it("gives null for an unknown or malformed token, without touching other sessions", () => {
    const user = findOrCreateUser(db, "ada@example.org");
    createSession(db, user.id, { now: T0 });
    for (const bad of [generateSessionToken(), "", "x", "A".repeat(32), `${generateSessionToken()}a`, undefined as unknown as string]) {
      expect(validateSessionToken(db, bad, T0)).toBeNull();
    }
    expect(storedSessions()).toHaveLength(1);
  });

  it("keeps the expiry while more than 15 days are left, then slides it to 30 days from the use", () => {
    const user = findOrCreateUser(db, "ada@example.org");
    const { token } = createSession(db, user.id, { now: T0 });

    const early = validateSessionToken(db, token, T0 + 15 * DAY - 1)!;
    expect(early.renewed).toBe(false);
    expect(early.session.expiresAt.getTime()).toBe(T0 + 30 * DAY);

    // Exactly 15 days left: renewed.
    const renewedAt = T0 + 15 * DAY;
    const renewed = validateSessionToken(db, token, renewedAt)!;
    expect(renewed.renewed).toBe(true);
    expect(renewed.session.expiresAt.getTime()).toBe(renewedAt + 30 * DAY);
    expect(storedSessions()[0]!.expiresAt.getTime()).toBe(renewedAt + 30 * DAY);

    // Used every 20 days, it lives on well past its first 30 days.
    let now = renewedAt;
    for (let i = 0; i < 5; i++) {
      now += 20 * DAY;
      const result = validateSessionToken(db, token, now);
      expect(result?.renewed).toBe(true);
      expect(result?.session.expiresAt.getTime()).toBe(now + 30 * DAY);
    }
  });

  it("expires when left unused for 30 days, and deletes the session it finds expired", () => {
    const user = findOrCreateUser(db, "ada@example.org");
    const { token } = createSession(db, user.id, { now: T0 });
    const other = createSession(db, user.id, { now: T0 + DAY });
    expect(validateSessionToken(db, token, T0 + 30 * DAY)).toBeNull();
    expect(storedSessions().map((s) => s.id)).toEqual([other.session.id]);
    // Gone for good, even if the clock were turned back.
    expect(validateSessionToken(db, token, T0)).toBeNull();
    // One millisecond before its end, a session is still valid (and renewed).
    expect(validateSessionToken(db, other.token, T0 + 31 * DAY - 1)?.renewed).toBe(true);
  });

  it("gives null for a revoked account and ends all its sessions, even those revocation did not delete", () => {
    const ada = findOrCreateUser(db, "ada@example.org");
    const bob = findOrCreateUser(db, "bob@example.org");
    const a1 = createSession(db, ada.id, { now: T0 });
    createSession(db, ada.id, { now: T0 });
    const b1 = createSession(db, bob.id, { now: T0 });
    // Revoked behind the site's back (no session deleted): validation still refuses and cleans up.
    db.update(users)
      .set({ revokedAt: new Date(T0) })
      .where(eq(users.id, ada.id))
      .run();
    expect(validateSessionToken(db, a1.token, T0 + 1)).toBeNull();
    expect(storedSessions().map((s) => s.userId)).toEqual([bob.id]);
    expect(validateSessionToken(db, b1.token, T0 + 1)?.user.email).toBe("bob@example.org");

    revokeUser(db, bob.id, T0 + 2);
    expect(storedSessions()).toEqual([]);
    expect(validateSessionToken(db, b1.token, T0 + 3)).toBeNull();
  });
});

describe("ending sessions", () => {
  it("signs out here (one session) or everywhere (all of one account's)", () => {
    const ada = findOrCreateUser(db, "ada@example.org");
    const bob = findOrCreateUser(db, "bob@example.org");
    const a1 = createSession(db, ada.id, { now: T0 });
    const a2 = createSession(db, ada.id, { now: T0 });
    const a3 = createSession(db, ada.id, { now: T0 });
    const b1 = createSession(db, bob.id, { now: T0 });
    invalidateSession(db, a1.session.id);
    expect(validateSessionToken(db, a1.token, T0)).toBeNull();
    expect(validateSessionToken(db, a2.token, T0)).not.toBeNull();
    invalidateUserSessions(db, ada.id);
    expect(validateSessionToken(db, a2.token, T0)).toBeNull();
    expect(validateSessionToken(db, a3.token, T0)).toBeNull();
    expect(validateSessionToken(db, b1.token, T0)).not.toBeNull();
  });

  it("records the second factor on one session only", () => {
    const ada = findOrCreateUser(db, "ada@example.org");
    const a1 = createSession(db, ada.id, { now: T0 });
    const a2 = createSession(db, ada.id, { now: T0 });
    markSessionTwoFactorVerified(db, a1.session.id);
    expect(validateSessionToken(db, a1.token, T0)?.session.twoFactorVerified).toBe(true);
    expect(validateSessionToken(db, a2.token, T0)?.session.twoFactorVerified).toBe(false);
  });

  it("purges the sessions already expired", () => {
    const ada = findOrCreateUser(db, "ada@example.org");
    createSession(db, ada.id, { now: T0 });
    const fresh = createSession(db, ada.id, { now: T0 + 10 * DAY });
    expect(purgeExpiredSessions(db, T0 + 30 * DAY + 1)).toBe(1);
    expect(storedSessions().map((s) => s.id)).toEqual([fresh.session.id]);
  });
});

describe("the session cookie", () => {
  it("is HttpOnly, SameSite=Lax, site-wide, Secure when asked, and ends with the session", () => {
    const expires = new Date(T0 + 30 * DAY);
    expect(SESSION_COOKIE).toBe("forum_session");
    expect(sessionCookieOptions(expires, true)).toEqual({ httpOnly: true, sameSite: "lax", secure: true, path: "/", expires });
    expect(sessionCookieOptions(expires, false)).toEqual({ httpOnly: true, sameSite: "lax", secure: false, path: "/", expires });
  });
});
