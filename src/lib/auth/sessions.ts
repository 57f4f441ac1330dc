import { randomBytes } from "node:crypto";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { eq, lt } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { authSessions, users } from "../../../db/schema/auth.ts";
import { hashSecret } from "../security/secrets.ts";
import type { DbOrTx } from "./users.ts";

/**
 * Sessions in the style of Lucia's reference implementation: the cookie holds a random token
 * (20 bytes, base32), the database only its SHA-256 (the session id), so a copy of the database
 * gives no usable session. A session lasts SESSION_DAYS and is extended by as much whenever it is
 * used with less than RENEW_WITHIN_DAYS left: active people stay signed in, idle sessions lapse.
 */

export type AuthSession = typeof authSessions.$inferSelect;
export type User = typeof users.$inferSelect;

/** Name of the session cookie. */
export const SESSION_COOKIE = "forum_session";
/** Lifetime of a session, renewed while in use. */
export const SESSION_DAYS = 30;
/** A session used with less than this left is extended to SESSION_DAYS from now. */
export const RENEW_WITHIN_DAYS = 15;

const DAY_MS = 86_400_000;
const TOKEN_SHAPE = /^[a-z2-7]{32}$/;

/** A fresh session token: 20 random bytes (160 bits), lower-case base32 (32 characters). */
export function generateSessionToken(): string {
  return encodeBase32LowerCaseNoPadding(randomBytes(20));
}

/** The stored id of a session token. */
export function sessionIdOf(token: string): string {
  return hashSecret(token);
}

/** Opens a session for `userId`; the token goes in the cookie and nowhere else. */
export function createSession(
  db: DbOrTx,
  userId: number,
  { now = Date.now(), twoFactorVerified = false }: { now?: number; twoFactorVerified?: boolean } = {},
): { token: string; session: AuthSession } {
  const token = generateSessionToken();
  const session = db
    .insert(authSessions)
    .values({
      id: sessionIdOf(token),
      userId,
      expiresAt: new Date(now + SESSION_DAYS * DAY_MS),
      twoFactorVerified,
      createdAt: new Date(now),
    })
    .returning()
    .get();
  return { token, session };
}

/**
 * The session and account behind a cookie's token, or null. An expired session met here is
 * deleted; a revoked account gets null and loses all its sessions. A session with less than
 * RENEW_WITHIN_DAYS left is extended (`renewed: true`: set the cookie again with the new expiry).
 */
export function validateSessionToken(
  db: DbOrTx,
  token: string,
  now: number = Date.now(),
): { session: AuthSession; user: User; renewed: boolean } | null {
  if (typeof token !== "string" || !TOKEN_SHAPE.test(token)) return null;
  const row = db
    .select({ session: authSessions, user: users })
    .from(authSessions)
    .innerJoin(users, eq(users.id, authSessions.userId))
    .where(eq(authSessions.id, sessionIdOf(token)))
    .get();
  if (!row) return null;
  const { session, user } = row;
  if (now >= session.expiresAt.getTime()) {
    db.delete(authSessions).where(eq(authSessions.id, session.id)).run();
    return null;
  }
  if (user.revokedAt !== null) {
    db.delete(authSessions).where(eq(authSessions.userId, user.id)).run();
    return null;
  }
  if (now >= session.expiresAt.getTime() - RENEW_WITHIN_DAYS * DAY_MS) {
    const expiresAt = new Date(now + SESSION_DAYS * DAY_MS);
    db.update(authSessions).set({ expiresAt }).where(eq(authSessions.id, session.id)).run();
    return { session: { ...session, expiresAt }, user, renewed: true };
  }
  return { session, user, renewed: false };
}

/** Ends one session (sign out here). */
export function invalidateSession(db: DbOrTx, sessionId: string): void {
  db.delete(authSessions).where(eq(authSessions.id, sessionId)).run();
}

/** Ends every session of an account (sign out everywhere). */
export function invalidateUserSessions(db: DbOrTx, userId: number): void {
  db.delete(authSessions).where(eq(authSessions.userId, userId)).run();
}

/** Records that the second factor was given in this session. */
export function markSessionTwoFactorVerified(db: DbOrTx, sessionId: string): void {
  db.update(authSessions).set({ twoFactorVerified: true }).where(eq(authSessions.id, sessionId)).run();
}

/** Deletes the sessions expired at `now` (housekeeping); returns how many. */
export function purgeExpiredSessions(db: Db, now: number = Date.now()): number {
  return db
    .delete(authSessions)
    .where(lt(authSessions.expiresAt, new Date(now)))
    .run().changes;
}

/** Attributes of the session cookie (compatible with Astro's `AstroCookieSetOptions`). */
export interface SessionCookieOptions {
  httpOnly: true;
  sameSite: "lax";
  secure: boolean;
  path: "/";
  expires: Date;
}

/** The cookie attributes for a session expiring at `expiresAt`; `secure` everywhere but local development over http. */
export function sessionCookieOptions(expiresAt: Date, secure: boolean): SessionCookieOptions {
  return { httpOnly: true, sameSite: "lax", secure, path: "/", expires: expiresAt };
}
