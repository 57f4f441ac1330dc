import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { cfpTokens, proposals, proposalSpeakers } from "../../../db/schema/cfp.ts";
import { sessions, speakers } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import { insertUnscheduledSession, slugify, uniqueSlug } from "../programme/editor.ts";
import { isTokenShaped, tokenHash } from "../cfp/links.ts";

/**
 * An accepted speaker confirms (or declines) by the link of the acceptance e-mail. Confirming makes
 * the proposal a programme session in the same transaction: confirmed, published, without time or
 * room (public pages show only placed sessions of a release, so it waits in the editor). Both
 * answers are final and idempotent: a second click reports what was done.
 */

export type ConfirmAnswer = "confirm" | "decline";

/** What the confirmation page shows for a link. */
export type ConfirmLookup =
  | { ok: true; code: string; title: string; state: "accepted" | "confirmed" | "declined"; sessionSlug: string | null }
  | { ok: false; reason: "unknown" | "expired" | "invalid_state" };

function tokenRow(db: Pick<Db, "select">, token: string) {
  if (!isTokenShaped(token)) return undefined;
  return db
    .select({ token: cfpTokens, proposal: proposals })
    .from(cfpTokens)
    .innerJoin(proposals, eq(proposals.id, cfpTokens.proposalId))
    .where(and(eq(cfpTokens.tokenHash, tokenHash(token)), eq(cfpTokens.purpose, "confirm")))
    .get();
}

/** The proposal of a confirmation link and where it stands. An answered link keeps working to say so. */
export function lookupConfirmation(db: Pick<Db, "select">, token: string, now: number = Date.now()): ConfirmLookup {
  const row = tokenRow(db, token);
  if (!row) return { ok: false, reason: "unknown" };
  const { state } = row.proposal;
  if (state !== "accepted" && state !== "confirmed" && state !== "declined") return { ok: false, reason: "invalid_state" };
  if (state === "accepted" && row.token.expiresAt.getTime() <= now) return { ok: false, reason: "expired" };
  const slug = row.proposal.sessionId
    ? (db.select({ slug: sessions.slug }).from(sessions).where(eq(sessions.id, row.proposal.sessionId)).get()?.slug ?? null)
    : null;
  return { ok: true, code: row.proposal.code, title: row.proposal.title, state, sessionSlug: slug };
}

/** A session slug made of a title: folded to ASCII, words joined by hyphens, unique among sessions. */
export function uniqueSessionSlug(db: Pick<Db, "select">, title: string): string {
  return uniqueSlug(
    slugify(title, "session"),
    (slug) => !!db.select({ id: sessions.id }).from(sessions).where(eq(sessions.slug, slug)).get(),
  );
}

/**
 * Answers a confirmation link. `confirm`: accepted -> confirmed, and a session with the proposal's
 * fields and speakers in order; `decline`: accepted -> declined, no session. An already answered
 * link returns `{ already: <state> }` and changes nothing.
 */
export function answerConfirmation(
  db: Db,
  token: string,
  answer: ConfirmAnswer,
  now: number = Date.now(),
):
  | { ok: true; state: "confirmed" | "declined"; already: boolean; sessionSlug: string | null }
  | { ok: false; reason: "unknown" | "expired" | "invalid_state" } {
  return db.transaction(
    (tx) => {
      const seen = lookupConfirmation(tx, token, now);
      if (!seen.ok) return seen;
      if (seen.state !== "accepted") return { ok: true, state: seen.state, already: true, sessionSlug: seen.sessionSlug } as const;
      const row = tokenRow(tx, token)!;
      const p = row.proposal;
      const people = tx
        .select({ id: proposalSpeakers.speakerId, userId: speakers.userId, email: speakers.email })
        .from(proposalSpeakers)
        .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
        .where(eq(proposalSpeakers.proposalId, p.id))
        .orderBy(asc(proposalSpeakers.position))
        .all();
      // Whoever holds the link acts for the speakers: the audit names the link's addressee.
      const actor = { id: people.find((s) => s.email === row.token.email)?.userId ?? p.createdBy, email: row.token.email || "speaker" };
      let sessionSlug: string | null = null;
      let sessionId: number | null = null;
      if (answer === "confirm") {
        const fields = {
          title: p.title,
          abstract: p.abstract,
          description: p.description,
          formatId: p.formatId,
          trackId: p.trackId,
          language: p.language,
          audience: p.audience,
          tlp: p.tlp,
          // Nobody chose yet whether others may see a restricted session's title: hidden until an organizer does.
          titlePublic: p.audience === "public",
        };
        sessionSlug = insertUnscheduledSession(
          tx,
          fields,
          people.map((s) => s.id),
          now,
        );
        sessionId = tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.slug, sessionSlug)).get()!.id;
      }
      const state = answer === "confirm" ? "confirmed" : "declined";
      tx.update(proposals)
        .set({ state, sessionId, updatedAt: new Date(now) })
        .where(and(eq(proposals.id, p.id), eq(proposals.state, "accepted")))
        .run();
      tx.update(cfpTokens)
        .set({ usedAt: new Date(now) })
        .where(eq(cfpTokens.tokenHash, row.token.tokenHash))
        .run();
      recordAudit(
        tx,
        {
          actor,
          action: `proposal.${state}`,
          subjectType: "proposal",
          subjectId: p.code,
          before: { state: "accepted" },
          after: { state, session: sessionSlug },
        },
        now,
      );
      return { ok: true, state, already: false, sessionSlug } as const;
    },
    { behavior: "immediate" },
  );
}
