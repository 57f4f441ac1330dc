import { and, asc, eq, isNull } from "drizzle-orm";
import { emitWebhook } from "../webhooks/events.ts";
import type { Db } from "../../../db/client.ts";
import { cfpTokens, proposals, proposalSpeakers } from "../../../db/schema/cfp.ts";
import { sessions, speakers } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import { insertUnscheduledSession } from "../programme/editor.ts";
import { isTokenShaped, tokenHash } from "../cfp/links.ts";
import { ownProposal, proposalTitle, speakersOf, tellSpeakers, type Proposal } from "../cfp/proposals.ts";
import { anyText, type Localized } from "../programme/texts.ts";

/**
 * An accepted speaker confirms (or declines) by the link of the acceptance e-mail. Confirming makes
 * the proposal a programme session in the same transaction: confirmed, published, without time or
 * room (public pages show only placed sessions of a release, so it waits in the editor). A speaker
 * of the proposal may also answer from its page, signed in. Both answers are final and idempotent:
 * a second click reports what was done. Every speaker of the proposal is told of the answer.
 */

export type ConfirmAnswer = "confirm" | "decline";

/** What the confirmation page shows for a link. */
export type ConfirmLookup =
  | { ok: true; code: string; title: Localized; state: "accepted" | "confirmed" | "declined"; sessionSlug: string | null }
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
  return { ok: true, code: row.proposal.code, title: proposalTitle(row.proposal), state, sessionSlug: slugOf(db, row.proposal.sessionId) };
}

/** Who answers, as the audit names them. */
type Actor = { id: number; email: string };

/** An answer's outcome; `already` when the proposal had been answered before and nothing changed. */
export type AnswerOutcome = { ok: true; state: "confirmed" | "declined"; already: boolean; sessionSlug: string | null };

/** The proposal's speakers in order, with their accounts and addresses. */
function speakerRows(tx: Pick<Db, "select">, proposalId: number) {
  return tx
    .select({ id: proposalSpeakers.speakerId, userId: speakers.userId, email: speakers.email })
    .from(proposalSpeakers)
    .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
    .where(eq(proposalSpeakers.proposalId, proposalId))
    .orderBy(asc(proposalSpeakers.position))
    .all();
}

/** The session slug of an answered proposal, if it became one. */
function slugOf(tx: Pick<Db, "select">, sessionId: number | null): string | null {
  return sessionId ? (tx.select({ slug: sessions.slug }).from(sessions).where(eq(sessions.id, sessionId)).get()?.slug ?? null) : null;
}

/**
 * The answer itself, inside the caller's transaction, for an accepted proposal: `confirm` makes it
 * confirmed with a session of its fields and speakers in order, `decline` declined; every
 * confirmation link of the proposal is spent, every speaker is told, and the audit names `actor`.
 */
function settle(
  tx: Pick<Db, "select" | "insert" | "update">,
  p: Proposal,
  answer: ConfirmAnswer,
  actor: Actor,
  now: number,
): AnswerOutcome {
  let sessionSlug: string | null = null;
  let sessionId: number | null = null;
  if (answer === "confirm") {
    // Both languages of the proposal's texts become the session's.
    const fields = {
      titleEn: p.titleEn,
      titleFr: p.titleFr,
      abstractEn: p.abstractEn,
      abstractFr: p.abstractFr,
      descriptionEn: p.descriptionEn,
      descriptionFr: p.descriptionFr,
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
      speakerRows(tx, p.id).map((s) => s.id),
      now,
    );
    sessionId = tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.slug, sessionSlug)).get()!.id;
  }
  const state = answer === "confirm" ? "confirmed" : "declined";
  tx.update(proposals)
    .set({ state, sessionId, updatedAt: new Date(now) })
    .where(and(eq(proposals.id, p.id), eq(proposals.state, "accepted")))
    .run();
  if (state === "confirmed") emitWebhook(tx, "proposal.confirmed", { proposal: p.code, state, session: sessionSlug }, now);
  // Answered either way (by the link or on the page), the e-mail's link has nothing left to do.
  tx.update(cfpTokens)
    .set({ usedAt: new Date(now) })
    .where(and(eq(cfpTokens.proposalId, p.id), eq(cfpTokens.purpose, "confirm"), isNull(cfpTokens.usedAt)))
    .run();
  tellSpeakers(
    tx,
    speakersOf(tx, p.id),
    answer === "confirm" ? "cfp.confirmed" : "cfp.declined",
    (s) => ({ name: s.name, title: anyText(proposalTitle(p), s.language), code: p.code }),
    now,
  );
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
  return { ok: true, state, already: false, sessionSlug };
}

/**
 * Answers a confirmation link. `confirm`: accepted -> confirmed, and a session with the proposal's
 * fields and speakers in order; `decline`: accepted -> declined, no session. An already answered
 * link returns `{ already: true }` and changes nothing.
 */
export function answerConfirmation(
  db: Db,
  token: string,
  answer: ConfirmAnswer,
  now: number = Date.now(),
): AnswerOutcome | { ok: false; reason: "unknown" | "expired" | "invalid_state" } {
  return db.transaction(
    (tx) => {
      const seen = lookupConfirmation(tx, token, now);
      if (!seen.ok) return seen;
      if (seen.state !== "accepted") return { ok: true, state: seen.state, already: true, sessionSlug: seen.sessionSlug } as const;
      const row = tokenRow(tx, token)!;
      const p = row.proposal;
      // Whoever holds the link acts for the speakers: the audit names the link's addressee.
      const addressee = speakerRows(tx, p.id).find((s) => s.email === row.token.email);
      return settle(tx, p, answer, { id: addressee?.userId ?? p.createdBy, email: row.token.email || "speaker" }, now);
    },
    { behavior: "immediate" },
  );
}

/**
 * A signed-in speaker of the proposal answers from its page (the e-mail may be lost, or its message
 * cancelled): as by the link, but needing no link, and audited in the speaker's name. Anyone else
 * gets `notFound`, as for a code that does not exist; a proposal that is not accepted (nor answered
 * already) `invalidState`. An answered proposal reports what was done and changes nothing.
 */
export function answerAcceptance(
  db: Db,
  account: { id: number; email: string },
  code: string,
  answer: ConfirmAnswer,
  now: number = Date.now(),
): AnswerOutcome | { ok: false; reason: "notFound" | "invalidState" } {
  return db.transaction(
    (tx) => {
      const p = ownProposal(tx, account.id, code);
      if (!p) return { ok: false, reason: "notFound" } as const;
      if (p.state === "confirmed" || p.state === "declined")
        return { ok: true, state: p.state, already: true, sessionSlug: slugOf(tx, p.sessionId) } as const;
      if (p.state !== "accepted") return { ok: false, reason: "invalidState" } as const;
      return settle(tx, p, answer, account, now);
    },
    { behavior: "immediate" },
  );
}
