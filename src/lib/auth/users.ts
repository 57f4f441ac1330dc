import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client.ts";
import { authSessions, ROLES, users, type Role } from "../../../db/schema/auth.ts";

/**
 * Accounts. An account is an e-mail address (lower-cased, trimmed, unique) with staff roles or
 * none. Plain accounts are created by a first successful sign-in; staff accounts by an organizer
 * or `npm run user:add`. A revoked account cannot sign in and has no session.
 */

export type User = typeof users.$inferSelect;
/** The database or a transaction inside it. */
export type DbOrTx = Pick<Db, "select" | "insert" | "update" | "delete">;

/** Longest address accepted (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/** The stored form of an address: trimmed and lower-cased (as registrations store it). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Whether `email` (normalized or not) is an address the site accepts. */
export function isValidEmail(email: unknown): email is string {
  if (typeof email !== "string") return false;
  const normalized = normalizeEmail(email);
  return normalized.length > 0 && normalized.length <= MAX_EMAIL_LENGTH && z.email().safeParse(normalized).success;
}

/** Whether `value` is a staff role. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** The roles, checked, without duplicates, in the order of ROLES. Throws on an unknown role. */
function cleanRoles(roles: readonly string[]): Role[] {
  for (const role of roles) if (!isRole(role)) throw new Error(`Unknown role "${role}" (expected one of ${ROLES.join(", ")})`);
  return ROLES.filter((role) => roles.includes(role));
}

function requireEmail(email: string): string {
  if (!isValidEmail(email)) throw new Error(`Invalid e-mail address "${email}"`);
  return normalizeEmail(email);
}

/** The account of `email`, if any (revoked ones included). */
export function findUserByEmail(db: DbOrTx, email: string): User | undefined {
  return db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .get();
}

/** The account `id`, if any. */
export function findUserById(db: DbOrTx, id: number): User | undefined {
  return db.select().from(users).where(eq(users.id, id)).get();
}

/** The account of `email`, created as a plain account (no role) in `language` if there is none. */
export function findOrCreateUser(db: DbOrTx, email: string, { language = "en" }: { language?: "en" | "fr" } = {}): User {
  const address = requireEmail(email);
  db.insert(users).values({ email: address, language }).onConflictDoNothing({ target: users.email }).run();
  return findUserByEmail(db, address)!;
}

/**
 * Creates a staff account, or adds `roles` to the existing account of that address (its other roles
 * are kept; `name`, when given and not blank, replaces the stored one). A revoked account stays
 * revoked: check `revokedAt` on the result.
 */
export function addUser(db: Db, { email, roles, name }: { email: string; roles: readonly Role[]; name?: string }): User {
  const address = requireEmail(email);
  const wanted = cleanRoles(roles);
  const cleanName = (name ?? "").replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ").trim();
  return db.transaction(
    (tx) => {
      const existing = findUserByEmail(tx, address);
      if (!existing) {
        return tx.insert(users).values({ email: address, roles: wanted, name: cleanName }).returning().get();
      }
      endSessionsIfGranted(tx, existing, wanted);
      return tx
        .update(users)
        .set({
          roles: cleanRoles([...existing.roles, ...wanted]),
          ...(cleanName ? { name: cleanName } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, existing.id))
        .returning()
        .get();
    },
    { behavior: "immediate" },
  );
}

/**
 * A role the account did not have ends its open sessions: only a sign-in made after the grant may
 * set up the second factor and act as staff (a leftover or stolen plain session must not).
 */
function endSessionsIfGranted(db: DbOrTx, existing: Pick<User, "id" | "roles">, roles: readonly Role[]): void {
  if (roles.some((role) => !existing.roles.includes(role))) db.delete(authSessions).where(eq(authSessions.userId, existing.id)).run();
}

/** Replaces the roles of account `userId` (an empty list makes it a plain account). Returns the account, or undefined if there is none. */
export function setRoles(db: DbOrTx, userId: number, roles: readonly Role[]): User | undefined {
  const existing = findUserById(db, userId);
  if (existing) endSessionsIfGranted(db, existing, roles);
  return db
    .update(users)
    .set({ roles: cleanRoles(roles), updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning()
    .get();
}

/** Revokes account `userId`: it can no longer sign in, and all its sessions end now. */
export function revokeUser(db: Db, userId: number, now: number = Date.now()): void {
  db.transaction(
    (tx) => {
      tx.update(users)
        .set({ revokedAt: new Date(now), updatedAt: new Date(now) })
        .where(eq(users.id, userId))
        .run();
      tx.delete(authSessions).where(eq(authSessions.userId, userId)).run();
    },
    { behavior: "immediate" },
  );
}

/** Lifts the revocation of account `userId` (it signs in again by e-mail; no session is restored). */
export function restoreUser(db: DbOrTx, userId: number, now: number = Date.now()): void {
  db.update(users)
    .set({ revokedAt: null, updatedAt: new Date(now) })
    .where(eq(users.id, userId))
    .run();
}

/** Whether the account has any staff role (and so needs a second factor). */
export function isStaff(user: Pick<User, "roles">): boolean {
  return user.roles.some(isRole);
}

/** Whether the account has `role`. */
export function hasRole(user: Pick<User, "roles">, role: Role): boolean {
  return user.roles.includes(role);
}
