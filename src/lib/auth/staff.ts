import { asc, isNotNull, max, ne, or } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { authSessions, users, type Role } from "../../../db/schema/auth.ts";
import { recordAudit } from "../audit.ts";
import { requestSignIn } from "./sign-in.ts";
import { resetTotp } from "./totp.ts";
import { addUser, findUserByEmail, findUserById, hasRole, normalizeEmail, restoreUser, revokeUser, setRoles } from "./users.ts";

/**
 * Staff accounts as organizers manage them: invite, change roles, revoke and restore, reset a lost
 * second factor. Each change and its audit entry are one transaction. An organizer can neither take
 * away their own organizer role nor revoke or reset themselves, so the area always keeps the
 * organizer who is acting; the actor is checked again inside the transaction, so one who was
 * revoked or demoted a moment ago cannot act on the strength of an older request.
 */

/** Who acts. */
export interface Actor {
  id: number;
  email: string;
}

/** One line of the staff list. */
export interface StaffAccount {
  id: number;
  email: string;
  name: string;
  roles: Role[];
  /** When the second factor was set up; null when it still has to be. */
  totpEnabledAt: Date | null;
  revokedAt: Date | null;
  /** Start of the newest session still open (sessions end on sign-out and expiry), if any. */
  lastSignInAt: Date | null;
  createdAt: Date;
}

/** Why a change was refused. */
export type StaffRefusal =
  /** No such account. */
  | "not_found"
  /** The actor is no longer an active organizer. */
  | "forbidden"
  /** An organizer removing their own organizer role, or revoking or resetting themselves. */
  | "self"
  /** Inviting an address whose account is revoked: restore it first. */
  | "revoked";

export type StaffResult = { ok: true; user: { id: number; email: string } } | { ok: false; reason: StaffRefusal };

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Staff accounts (any role) and revoked accounts, by address. */
export function listStaff(db: Db): StaffAccount[] {
  const latest = new Map(
    db
      .select({ userId: authSessions.userId, at: max(authSessions.createdAt) })
      .from(authSessions)
      .groupBy(authSessions.userId)
      .all()
      .map((row) => [row.userId, row.at]),
  );
  return db
    .select()
    .from(users)
    .where(or(ne(users.roles, []), isNotNull(users.revokedAt)))
    .orderBy(asc(users.email))
    .all()
    .map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      roles: u.roles,
      totpEnabledAt: u.totpEnabledAt,
      revokedAt: u.revokedAt,
      lastSignInAt: latest.get(u.id) ?? null,
      createdAt: u.createdAt,
    }));
}

/** Whether the actor is still an active organizer, read inside the transaction. */
function actorMayAct(tx: Tx, actor: Actor): boolean {
  const current = findUserById(tx, actor.id);
  return !!current && current.revokedAt === null && hasRole(current, "organizer");
}

/** Runs `change` for an existing account in an IMMEDIATE transaction, after the checks every change shares. */
function change(
  db: Db,
  actor: Actor,
  userId: number,
  run: (tx: Tx, user: NonNullable<ReturnType<typeof findUserById>>) => StaffResult,
): StaffResult {
  return db.transaction(
    (tx): StaffResult => {
      if (!actorMayAct(tx, actor)) return { ok: false, reason: "forbidden" };
      const user = findUserById(tx, userId);
      if (!user) return { ok: false, reason: "not_found" };
      return run(tx, user);
    },
    { behavior: "immediate" },
  );
}

/**
 * Invites `email` with `roles`: creates the account (or adds the roles to an existing one) and sends
 * a sign-in link in `language`, with the audit entry. A revoked account is refused (restore it first).
 */
export function inviteStaff(
  db: Db,
  appKey: Buffer,
  actor: Actor,
  { email, roles, language }: { email: string; roles: readonly Role[]; language: "en" | "fr" },
  now: number = Date.now(),
): StaffResult {
  const address = normalizeEmail(email);
  return db.transaction(
    (tx): StaffResult => {
      if (!actorMayAct(tx, actor)) return { ok: false, reason: "forbidden" };
      const existing = findUserByEmail(tx, address);
      if (existing?.revokedAt) return { ok: false, reason: "revoked" };
      const inner = tx as unknown as Db;
      const user = addUser(inner, { email: address, roles });
      recordAudit(
        tx,
        {
          actor,
          action: "staff.invite",
          subjectType: "user",
          subjectId: user.id,
          before: existing ? { roles: existing.roles } : null,
          after: { email: user.email, roles: user.roles },
        },
        now,
      );
      requestSignIn(inner, appKey, address, { language, now });
      return { ok: true, user: { id: user.id, email: user.email } };
    },
    { behavior: "immediate" },
  );
}

/** Replaces the roles of account `userId` (none makes it a plain account again). */
export function changeRoles(db: Db, actor: Actor, userId: number, roles: readonly Role[], now: number = Date.now()): StaffResult {
  if (userId === actor.id && !roles.includes("organizer")) return { ok: false, reason: "self" };
  return change(db, actor, userId, (tx, user) => {
    const after = setRoles(tx, userId, roles)!;
    if (after.roles.join() !== user.roles.join()) {
      recordAudit(
        tx,
        {
          actor,
          action: "staff.roles",
          subjectType: "user",
          subjectId: userId,
          before: { roles: user.roles },
          after: { roles: after.roles },
        },
        now,
      );
    }
    return { ok: true, user: { id: user.id, email: user.email } };
  });
}

/** Revokes account `userId`: it cannot sign in, and its sessions end now. */
export function revokeStaff(db: Db, actor: Actor, userId: number, now: number = Date.now()): StaffResult {
  if (userId === actor.id) return { ok: false, reason: "self" };
  return change(db, actor, userId, (tx, user) => {
    if (user.revokedAt === null) {
      revokeUser(tx as unknown as Db, userId, now);
      recordAudit(
        tx,
        {
          actor,
          action: "staff.revoke",
          subjectType: "user",
          subjectId: userId,
          before: { revokedAt: null },
          after: { revokedAt: new Date(now) },
        },
        now,
      );
    }
    return { ok: true, user: { id: user.id, email: user.email } };
  });
}

/** Lifts the revocation of account `userId` (it signs in again by e-mail). */
export function restoreStaff(db: Db, actor: Actor, userId: number, now: number = Date.now()): StaffResult {
  return change(db, actor, userId, (tx, user) => {
    if (user.revokedAt !== null) {
      restoreUser(tx, userId, now);
      recordAudit(
        tx,
        {
          actor,
          action: "staff.restore",
          subjectType: "user",
          subjectId: userId,
          before: { revokedAt: user.revokedAt },
          after: { revokedAt: null },
        },
        now,
      );
    }
    return { ok: true, user: { id: user.id, email: user.email } };
  });
}

/** Removes the second factor of account `userId` (a lost phone): its sessions end and it enrols again at next sign-in. */
export function resetSecondFactor(db: Db, actor: Actor, userId: number, now: number = Date.now()): StaffResult {
  if (userId === actor.id) return { ok: false, reason: "self" };
  return change(db, actor, userId, (tx, user) => {
    resetTotp(tx as unknown as Db, userId, now);
    recordAudit(
      tx,
      {
        actor,
        action: "staff.reset_second_factor",
        subjectType: "user",
        subjectId: userId,
        before: { totpEnabledAt: user.totpEnabledAt },
        after: { totpEnabledAt: null },
      },
      now,
    );
    return { ok: true, user: { id: user.id, email: user.email } };
  });
}
