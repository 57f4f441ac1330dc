import { randomBytes } from "node:crypto";
import { encodeBase32LowerCaseNoPadding, encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, verifyHOTP } from "@oslojs/otp";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import QRCode from "qrcode";
import type { Db } from "../../../db/client.ts";
import { authSessions, recoveryCodes, users } from "../../../db/schema/auth.ts";
import { hashSecret } from "../security/secrets.ts";
import { seal, unseal } from "./sealed.ts";
import type { DbOrTx, User } from "./users.ts";

/**
 * The second factor of staff accounts: TOTP (RFC 6238; SHA-1, 6 digits, 30-second steps, what every
 * authenticator app reads from the QR code). The key is stored sealed with the application key
 * (sealed.ts); the last accepted step is stored so that a code cannot be used twice. Ten one-time
 * recovery codes are shown once at enrolment and stored hashed.
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one (clock drift, slow typing). */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

const KEY_BYTES = 20;
/** Authenticated context of the sealed key, so that no other sealed value can pass for it. */
const SEAL_CONTEXT = "totp-key";

/** The time step of `now` (ms). */
export function totpStep(now: number): number {
  return Math.floor(now / (TOTP_PERIOD_SECONDS * 1000));
}

/** The digits of a typed code (spaces removed), or null when it cannot be a code. */
function cleanCode(code: unknown): string | null {
  if (typeof code !== "string") return null;
  const digits = code.replace(/\s+/g, "");
  return digits.length === TOTP_DIGITS && /^\d+$/.test(digits) ? digits : null;
}

function openKey(appKey: Buffer, sealedKey: string): Uint8Array | null {
  try {
    const key = Buffer.from(unseal(appKey, sealedKey, SEAL_CONTEXT), "hex");
    return key.length === KEY_BYTES ? key : null;
  } catch {
    return null;
  }
}

/** The step in the window around `now` (after `after`, if given) whose code is `code`, or null. */
function matchingStep(key: Uint8Array, code: string, now: number, after: number | null): number | null {
  const current = totpStep(now);
  let found: number | null = null;
  // Every candidate is computed (no early exit), so the time taken does not tell which one matched.
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const ok = verifyHOTP(key, BigInt(step), TOTP_DIGITS, code);
    if (ok && found === null && (after === null || step > after)) found = step;
  }
  return found;
}

/**
 * Starts an enrolment: a new random key, sealed (carry `sealedKey` to the confirmation, e.g. in a
 * hidden field: it reveals nothing without the application key), its otpauth:// URI (issuer, and the
 * account's address as account name), the QR code of that URI as SVG, and the key in base32 for
 * typing by hand. Nothing is stored until confirmTotpEnrolment.
 */
export function beginTotpEnrolment(
  appKey: Buffer,
  user: Pick<User, "email">,
  issuer: string,
): { sealedKey: string; uri: string; qrSvg: Promise<string>; manualKey: string } {
  const key = randomBytes(KEY_BYTES);
  const uri = createTOTPKeyURI(issuer, user.email, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
  return {
    sealedKey: seal(appKey, key.toString("hex"), SEAL_CONTEXT),
    uri,
    qrSvg: QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 4 }),
    manualKey: (encodeBase32UpperCaseNoPadding(key).match(/.{1,4}/g) ?? []).join(" "),
  };
}

/**
 * The same enrolment again from its sealed key (after a mistyped code, the page shows the QR code
 * the person already scanned rather than a new one). Null when the sealed key is not genuine.
 */
export function resumeTotpEnrolment(
  appKey: Buffer,
  user: Pick<User, "email">,
  issuer: string,
  sealedKey: string,
): { sealedKey: string; uri: string; qrSvg: Promise<string>; manualKey: string } | null {
  const key = openKey(appKey, sealedKey);
  if (!key) return null;
  const uri = createTOTPKeyURI(issuer, user.email, key, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
  return {
    sealedKey,
    uri,
    qrSvg: QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 4 }),
    manualKey: (encodeBase32UpperCaseNoPadding(key).match(/.{1,4}/g) ?? []).join(" "),
  };
}

/** Ten fresh recovery codes, `xxxx-xxxx-xx`: 10 base32 characters, 50 random bits each. */
export function generateRecoveryCodes(count: number = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const chars = encodeBase32LowerCaseNoPadding(randomBytes(7)).slice(0, 10);
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
  });
}

/** The canonical form of a typed recovery code: lower case, without spaces or hyphens. */
function cleanRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, "");
}

/** What is stored of a recovery code: SHA-256 of the account id and the canonical code. */
function recoveryHash(userId: number, code: string): string {
  return hashSecret(`${userId}:${cleanRecoveryCode(code)}`);
}

/**
 * Completes an enrolment when `code` is right for the sealed key: stores the key (replacing any
 * earlier one), and replaces the recovery codes with ten new ones, returned here and never again.
 */
export function confirmTotpEnrolment(
  db: Db,
  appKey: Buffer,
  userId: number,
  sealedKey: string,
  code: string,
  now: number = Date.now(),
): { ok: true; recoveryCodes: string[] } | { ok: false } {
  const key = typeof sealedKey === "string" ? openKey(appKey, sealedKey) : null;
  const digits = cleanCode(code);
  if (!key || !digits) return { ok: false };
  const step = matchingStep(key, digits, now, null);
  if (step === null) return { ok: false };
  const codes = generateRecoveryCodes();
  return db.transaction(
    (tx) => {
      const updated = tx
        .update(users)
        .set({ totpKeySealed: sealedKey, totpEnabledAt: new Date(now), totpLastStep: step, updatedAt: new Date(now) })
        // Never over an enrolled key: two enrolments racing, the second finds it done.
        .where(and(eq(users.id, userId), isNull(users.totpEnabledAt)))
        .run().changes;
      if (updated === 0) return { ok: false as const };
      tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
      tx.insert(recoveryCodes)
        .values(codes.map((c) => ({ userId, codeHash: recoveryHash(userId, c) })))
        .run();
      return { ok: true as const, recoveryCodes: codes };
    },
    { behavior: "immediate" },
  );
}

/**
 * Checks a TOTP code of `user` (one step either side of `now`). A step at or before the last
 * accepted one is refused, so a code works once; the accepted step is recorded atomically (two
 * requests racing with the same code: one wins).
 */
export function verifyTotp(db: DbOrTx, appKey: Buffer, user: User, code: string, now: number = Date.now()): boolean {
  if (!user.totpKeySealed || !user.totpEnabledAt) return false;
  const key = openKey(appKey, user.totpKeySealed);
  const digits = cleanCode(code);
  if (!key || !digits) return false;
  const step = matchingStep(key, digits, now, user.totpLastStep);
  if (step === null) return false;
  const changes = db
    .update(users)
    .set({ totpLastStep: step })
    .where(
      and(eq(users.id, user.id), eq(users.totpKeySealed, user.totpKeySealed), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))),
    )
    .run().changes;
  return changes === 1;
}

/** Uses a recovery code of account `userId` (case, spaces and hyphens ignored); true once per code. */
export function useRecoveryCode(db: DbOrTx, userId: number, code: string, now: number = Date.now()): boolean {
  if (typeof code !== "string" || cleanRecoveryCode(code).length === 0) return false;
  return (
    db
      .update(recoveryCodes)
      .set({ usedAt: new Date(now) })
      .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, recoveryHash(userId, code)), isNull(recoveryCodes.usedAt)))
      .run().changes === 1
  );
}

/** How many unused recovery codes account `userId` has left. */
export function remainingRecoveryCodes(db: DbOrTx, userId: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    .get()!.n;
}

/** Whether account `user` has a second factor set up. */
export function hasTotp(user: Pick<User, "totpKeySealed" | "totpEnabledAt">): boolean {
  return user.totpKeySealed !== null && user.totpEnabledAt !== null;
}

/**
 * Removes the second factor of account `userId` (an organizer resetting a lost phone): key and
 * recovery codes go, and every session of the account ends, so that it enrols again at next sign-in.
 */
export function resetTotp(db: Db, userId: number, now: number = Date.now()): void {
  db.transaction(
    (tx) => {
      tx.update(users)
        .set({ totpKeySealed: null, totpEnabledAt: null, totpLastStep: null, updatedAt: new Date(now) })
        .where(eq(users.id, userId))
        .run();
      tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
      tx.delete(authSessions).where(eq(authSessions.userId, userId)).run();
    },
    { behavior: "immediate" },
  );
}
