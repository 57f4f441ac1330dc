import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { cfpTokens } from "../../../db/schema/cfp.ts";
import { formats } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import { findUserByEmail, normalizeEmail, type DbOrTx } from "../auth/users.ts";
import { enqueue } from "../email/outbox.ts";
import { randomNonce } from "../security/secrets.ts";
import { isTokenShaped, lateToken, tokenHash } from "./links.ts";

/**
 * Late-submission links: an organizer lets one person (an e-mail address) create, edit and submit
 * proposals after the deadline, for N days, for one format or any. The grant belongs to the
 * address: the account signed in with it may use the call as if it were open. The link in the
 * e-mail leads to a page that says so and starts a proposal (signing in first if needed); pretalx's
 * access codes work alike, but bound to a person rather than to whoever holds the code.
 */

export type LateGrant = typeof cfpTokens.$inferSelect;

/** Longest grant, in days. */
export const MAX_LATE_DAYS = 60;

export type GrantResult = { ok: true; expiresAt: Date } | { ok: false; reason: "unknownFormat" | "invalidDays" };

/** Grants `email` a late-submission link valid `days` days (for `format`, or any when null) and mails it. */
export function grantLateSubmission(
  db: Db,
  appKey: Buffer,
  actor: { id: number; email: string },
  input: { email: string; days: number; format: string | null; language: "en" | "fr" },
  now: number = Date.now(),
): GrantResult {
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_LATE_DAYS) return { ok: false, reason: "invalidDays" };
  const email = normalizeEmail(input.email);
  return db.transaction(
    (tx) => {
      const format = input.format ? tx.select().from(formats).where(eq(formats.slug, input.format)).get() : null;
      if (input.format && !format) return { ok: false as const, reason: "unknownFormat" as const };
      const nonce = randomNonce();
      const expiresAt = new Date(now + input.days * 86_400_000);
      // The hash of the token derived from the nonce (links.ts); the nonce only travels in the e-mail.
      const hash = tokenHash(lateToken(appKey, nonce));
      tx.insert(cfpTokens)
        .values({
          tokenHash: hash,
          purpose: "late",
          email,
          formatId: format?.id ?? null,
          expiresAt,
          createdBy: actor.id,
          createdAt: new Date(now),
        })
        .run();
      const language = findUserByEmail(tx, email)?.language ?? input.language;
      enqueue(
        tx,
        {
          template: "cfp.late",
          language,
          recipient: email,
          payload: {
            nonce,
            expiresAt: expiresAt.toISOString(),
            formatName: format ? (language === "fr" ? format.nameFr : format.nameEn) : "",
          },
          expiresAt,
        },
        now,
      );
      recordAudit(
        tx,
        {
          actor,
          action: "cfp.late_granted",
          subjectType: "cfp_token",
          subjectId: hash.slice(0, 12),
          after: { email, days: input.days, format: format?.slug ?? null },
        },
        now,
      );
      return { ok: true as const, expiresAt };
    },
    { behavior: "immediate" },
  );
}

/** The grant behind a link token, while valid. */
export function lateGrantByToken(db: DbOrTx, token: string, now: number = Date.now()): LateGrant | undefined {
  if (!isTokenShaped(token)) return undefined;
  return db
    .select()
    .from(cfpTokens)
    .where(and(eq(cfpTokens.tokenHash, tokenHash(token)), eq(cfpTokens.purpose, "late"), gt(cfpTokens.expiresAt, new Date(now))))
    .get();
}

/** A valid grant of `email` for the format `formatId` (or for any format), the latest-expiring first. */
export function lateGrantFor(db: DbOrTx, email: string, formatId: number, now: number = Date.now()): LateGrant | undefined {
  return db
    .select()
    .from(cfpTokens)
    .where(
      and(
        eq(cfpTokens.purpose, "late"),
        eq(cfpTokens.email, normalizeEmail(email)),
        gt(cfpTokens.expiresAt, new Date(now)),
        or(isNull(cfpTokens.formatId), eq(cfpTokens.formatId, formatId)),
      ),
    )
    .orderBy(desc(cfpTokens.expiresAt))
    .get();
}
