import { and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { signInChallenges } from "../../../db/schema/auth.ts";
import { enqueue } from "../email/outbox.ts";
import { hashSecret, randomNonce, sameHash } from "../security/secrets.ts";
import { safeNext } from "./guard.ts";
import { CODE_DIGITS, DEFAULT_NEXT, sealSignInNext, SIGN_IN_MINUTES, signInSecrets } from "./sign-in-links.ts";
import { findOrCreateUser, findUserByEmail, isValidEmail, normalizeEmail, type DbOrTx, type User } from "./users.ts";

/**
 * Passwordless sign-in by e-mail. A request stores a challenge and queues one message (template
 * `auth.sign_in`) carrying a one-time link and a 6-digit code; both come from a random nonce and
 * the application key, so the outbox payload holds only the nonce and the challenge row only
 * hashes: the link's SHA-256 is the challenge id, the code's is salted with that id. The link and
 * the code are one challenge: using either uses both. Every step runs in an IMMEDIATE transaction,
 * so concurrent attempts are counted one after the other.
 */

/** Wrong codes after which the challenge is burned. */
export const MAX_CODE_ATTEMPTS = 5;
/** Sign-in messages sent to one address per SIGN_IN_MINUTES; further requests are ignored (silently, like every answer). */
export const MAX_CHALLENGES_PER_WINDOW = 5;
/**
 * Wrong codes accepted for one address over 24 hours, all challenges together; beyond, codes are
 * refused ("too_many_attempts") until older failures leave the day, while links keep working.
 * With MAX_CHALLENGES_PER_WINDOW alone, a guesser would get 25 tries every 15 minutes.
 */
export const MAX_CODE_FAILURES_PER_DAY = 20;

const WINDOW_MS = SIGN_IN_MINUTES * 60_000;
const DAY_MS = 86_400_000;
const LINK_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

type Language = "en" | "fr";

/** Why a sign-in was refused. */
export type SignInFailure = "unknown" | "expired" | "used" | "revoked";
export type SignInResult = { ok: true; user: User } | { ok: false; reason: SignInFailure };
export type SignInCodeResult = { ok: true; user: User } | { ok: false; reason: SignInFailure | "too_many_attempts" };

/** What is stored of a code: SHA-256 of the challenge id and the code. */
function codeHashOf(challengeId: string, code: string): string {
  return hashSecret(`${challengeId}:${code}`);
}

/**
 * Stores a challenge for `email` and returns its link token and code, sending nothing (for
 * `npm run user:add`, and for requestSignIn, which queues the message). Throws on an invalid address.
 */
export function createSignInChallenge(
  db: DbOrTx,
  appKey: Buffer,
  email: string,
  now: number = Date.now(),
): { linkToken: string; code: string; nonce: string; expiresAt: Date } {
  if (!isValidEmail(email)) throw new Error(`Invalid e-mail address "${email}"`);
  const nonce = randomNonce();
  const { linkToken, code } = signInSecrets(appKey, nonce);
  const id = hashSecret(linkToken);
  const expiresAt = new Date(now + WINDOW_MS);
  db.insert(signInChallenges)
    .values({ id, email: normalizeEmail(email), codeHash: codeHashOf(id, code), expiresAt, createdAt: new Date(now) })
    .run();
  return { linkToken, code, nonce, expiresAt };
}

/**
 * Sends a sign-in link and code to `email`. The caller learns nothing: the same happens whether or
 * not the address has an account (a successful sign-in creates a plain one). Nothing is sent to a
 * revoked account, to an invalid address, or beyond MAX_CHALLENGES_PER_WINDOW messages per address
 * in SIGN_IN_MINUTES; the call returns the same. The link leads to `next` (a local path) once used.
 */
export function requestSignIn(
  db: Db,
  appKey: Buffer,
  email: string,
  { language, next, now = Date.now() }: { language: Language; next?: string; now?: number },
): void {
  const back = next ? safeNext(next, DEFAULT_NEXT) : DEFAULT_NEXT;
  if (!isValidEmail(email)) return;
  const address = normalizeEmail(email);
  db.transaction(
    (tx) => {
      const user = findUserByEmail(tx, address);
      const recent = tx
        .select({ n: sql<number>`count(*)` })
        .from(signInChallenges)
        .where(and(eq(signInChallenges.email, address), gt(signInChallenges.createdAt, new Date(now - WINDOW_MS))))
        .get()!.n;
      if (recent >= MAX_CHALLENGES_PER_WINDOW) return;
      const { nonce, expiresAt } = createSignInChallenge(tx, appKey, address, now);
      // A revoked account gets a challenge nobody can answer (no message is sent), so its code
      // page fails exactly as any other address's does: closed accounts cannot be told apart.
      if (user?.revokedAt) return;
      const payload = back === DEFAULT_NEXT || back === "/" ? { nonce } : { nonce, next: sealSignInNext(appKey, nonce, back) };
      // Worth nothing once the link and code expire: never sent late.
      enqueue(tx, { template: "auth.sign_in", language, recipient: address, payload, expiresAt }, now);
    },
    { behavior: "immediate" },
  );
}

type Challenge = typeof signInChallenges.$inferSelect;
type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/** Uses `challenge` (and every other open challenge of its address), then gives the account, created if needed. */
function complete(tx: Tx, challenge: Challenge, now: number, language: Language): SignInResult {
  tx.update(signInChallenges)
    .set({ usedAt: new Date(now) })
    .where(and(eq(signInChallenges.email, challenge.email), isNull(signInChallenges.usedAt)))
    .run();
  const existing = findUserByEmail(tx, challenge.email);
  if (existing?.revokedAt) return { ok: false, reason: "revoked" };
  return { ok: true, user: existing ?? findOrCreateUser(tx, challenge.email, { language }) };
}

/** Signs in with the one-time link token. `language` is that of a newly created account. */
export function verifySignInLink(
  db: Db,
  token: string,
  now: number = Date.now(),
  { language = "en" }: { language?: Language } = {},
): SignInResult {
  if (typeof token !== "string" || !LINK_TOKEN_SHAPE.test(token)) return { ok: false, reason: "unknown" };
  const id = hashSecret(token);
  return db.transaction(
    (tx): SignInResult => {
      const challenge = tx.select().from(signInChallenges).where(eq(signInChallenges.id, id)).get();
      if (!challenge) return { ok: false, reason: "unknown" };
      if (challenge.usedAt) return { ok: false, reason: "used" };
      if (now >= challenge.expiresAt.getTime()) return { ok: false, reason: "expired" };
      return complete(tx, challenge, now, language);
    },
    { behavior: "immediate" },
  );
}

/**
 * Signs in with the address and the code of its latest challenge (the codes of earlier messages no
 * longer count). A wrong code answers "unknown" and counts; the MAX_CODE_ATTEMPTS-th burns the
 * challenge, link included ("too_many_attempts"); after MAX_CODE_FAILURES_PER_DAY wrong codes for
 * the address, codes are refused altogether for a while. `language` is that of a newly created account.
 */
export function verifySignInCode(
  db: Db,
  email: string,
  code: string,
  now: number = Date.now(),
  { language = "en" }: { language?: Language } = {},
): SignInCodeResult {
  if (!isValidEmail(email)) return { ok: false, reason: "unknown" };
  const address = normalizeEmail(email);
  const given = typeof code === "string" ? code.replace(/[\s-]+/g, "") : "";
  return db.transaction(
    (tx): SignInCodeResult => {
      const challenge = tx
        .select()
        .from(signInChallenges)
        .where(eq(signInChallenges.email, address))
        .orderBy(desc(signInChallenges.createdAt), desc(sql`rowid`))
        .limit(1)
        .get();
      if (!challenge) return { ok: false, reason: "unknown" };
      if (challenge.usedAt) return { ok: false, reason: challenge.attempts >= MAX_CODE_ATTEMPTS ? "too_many_attempts" : "used" };
      if (now >= challenge.expiresAt.getTime()) return { ok: false, reason: "expired" };
      const failures = tx
        .select({ n: sql<number>`coalesce(sum(${signInChallenges.attempts}), 0)` })
        .from(signInChallenges)
        .where(and(eq(signInChallenges.email, address), gt(signInChallenges.createdAt, new Date(now - DAY_MS))))
        .get()!.n;
      if (failures >= MAX_CODE_FAILURES_PER_DAY) return { ok: false, reason: "too_many_attempts" };
      // A malformed code cannot match; a well-formed one is compared by its hash, in constant time.
      if (/^\d+$/.test(given) && given.length === CODE_DIGITS && sameHash(codeHashOf(challenge.id, given), challenge.codeHash)) {
        return complete(tx, challenge, now, language);
      }
      const attempts = challenge.attempts + 1;
      const burned = attempts >= MAX_CODE_ATTEMPTS;
      tx.update(signInChallenges)
        .set({ attempts, ...(burned ? { usedAt: new Date(now) } : {}) })
        .where(eq(signInChallenges.id, challenge.id))
        .run();
      return { ok: false, reason: burned ? "too_many_attempts" : "unknown" };
    },
    { behavior: "immediate" },
  );
}

/** Deletes challenges expired for more than a day (housekeeping); returns how many. */
export function purgeSignInChallenges(db: Db, now: number = Date.now()): number {
  return db
    .delete(signInChallenges)
    .where(lt(signInChallenges.expiresAt, new Date(now - DAY_MS)))
    .run().changes;
}
