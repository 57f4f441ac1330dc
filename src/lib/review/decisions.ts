import { createHash } from "node:crypto";
import { emitWebhook } from "../webhooks/events.ts";
import { and, asc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { fold, type Db, escapeLike } from "../../../db/client.ts";
import { users } from "../../../db/schema/auth.ts";
import {
  cfpTokens,
  PENDING_DECISIONS,
  PROPOSAL_STATES,
  proposalMessages,
  proposals,
  reviews,
  reviewScores,
  type PendingDecision,
  type ProposalState,
} from "../../../db/schema/cfp.ts";
import { outbox } from "../../../db/schema/outbox.ts";
import { formats, sessions, tracks } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import { confirmToken, tokenHash } from "../cfp/links.ts";
import { enqueue } from "../email/outbox.ts";
import { randomNonce } from "../security/secrets.ts";
import { summarise, type ScoreSummary } from "./aggregate.ts";
import { listCriteria, type Actor, type Criterion } from "./committee.ts";
import { ownProposal, reviewerNowOwns, reviewsOf } from "./reviewing.ts";
import { proposalTitle, speakersOf } from "../cfp/proposals.ts";
import { anyText, type Localized } from "../programme/texts.ts";

/**
 * The organizers' side of the review: every proposal with its score, filters and sorting, the
 * decisions held as pending, and their release. Releasing moves each pending decision to the
 * proposal's state in one transaction and queues one e-mail per speaker, HELD in the outbox until an
 * organizer sends them (outbox.ts `HELD_UNTIL`). A decision is released once: only a `submitted`
 * proposal takes a decision, so a proposal gets one decision e-mail, never both kinds.
 */

/** Days an accepted speaker's confirmation link stays valid. */
export const CONFIRM_DAYS = 60;
/** Longest message to speakers. */
export const MAX_MESSAGE = 5000;

export const SORTS = ["submitted", "title", "mean", "median", "count", "spread"] as const;
export type Sort = (typeof SORTS)[number];

export interface ProposalQuery {
  q: string;
  state: ProposalState | "";
  trackId: number | null;
  formatId: number | null;
  /** Pending decision: one of them, "none", or "" for any. */
  decision: PendingDecision | "none" | "";
  /** Mean score range (0..100), inclusive; a proposal without score is outside any range. */
  min: number | null;
  max: number | null;
  sort: Sort;
  dir: "asc" | "desc";
  /** The reader's language, whose titles sort by title (the other language's when missing). */
  locale?: "en" | "fr";
}

const numberOr = (value: string | null, lo: number, hi: number): number | null => {
  if (value === null || value.trim() === "") return null;
  const n = Number(value.replace(",", "."));
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : null;
};
const idOr = (value: string | null): number | null => {
  const n = Number(value ?? "");
  return Number.isInteger(n) && n > 0 ? n : null;
};

/** Reads the list's query from URL search parameters, ignoring what is not valid. */
export function parseProposalQuery(params: URLSearchParams): ProposalQuery {
  const state = params.get("state") ?? "";
  const decision = params.get("decision") ?? "";
  const sort = params.get("sort") ?? "";
  return {
    q: (params.get("q") ?? "").trim().slice(0, 200),
    state: (PROPOSAL_STATES as readonly string[]).includes(state) && state !== "draft" ? (state as ProposalState) : "",
    trackId: idOr(params.get("track")),
    formatId: idOr(params.get("format")),
    decision: ([...PENDING_DECISIONS, "none"] as string[]).includes(decision) ? (decision as ProposalQuery["decision"]) : "",
    min: numberOr(params.get("min"), 0, 100),
    max: numberOr(params.get("max"), 0, 100),
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as Sort) : "submitted",
    dir: params.get("dir") === "desc" ? "desc" : "asc",
  };
}

export interface ProposalListItem {
  id: number;
  code: string;
  /** In English and in French (one at least). */
  title: Localized;
  state: ProposalState;
  pendingState: PendingDecision | null;
  track: { en: string; fr: string } | null;
  format: { en: string; fr: string };
  submittedAt: Date | null;
  score: ScoreSummary;
}

/**
 * Every proposal but drafts, with its score, filtered and sorted as asked. A proposal `viewer`
 * speaks on shows no score to them (as on its own page): another organizer decides it.
 */
export function listProposals(db: Pick<Db, "select">, query: ProposalQuery, viewer?: Actor): ProposalListItem[] {
  const pattern = `%${escapeLike(fold(query.q))}%`;
  const rows = db
    .select({
      id: proposals.id,
      code: proposals.code,
      titleEn: proposals.titleEn,
      titleFr: proposals.titleFr,
      state: proposals.state,
      pendingState: proposals.pendingState,
      trackEn: tracks.nameEn,
      trackFr: tracks.nameFr,
      formatEn: formats.nameEn,
      formatFr: formats.nameFr,
      submittedAt: proposals.submittedAt,
      own: viewer ? sql<number>`${ownProposal(viewer)}` : sql<number>`0`,
    })
    .from(proposals)
    .innerJoin(formats, eq(formats.id, proposals.formatId))
    .leftJoin(tracks, eq(tracks.id, proposals.trackId))
    .where(
      and(
        sql`${proposals.state} <> 'draft'`,
        query.state ? eq(proposals.state, query.state) : undefined,
        query.trackId ? eq(proposals.trackId, query.trackId) : undefined,
        query.formatId ? eq(proposals.formatId, query.formatId) : undefined,
        query.decision === "none"
          ? sql`${proposals.pendingState} is null`
          : query.decision
            ? eq(proposals.pendingState, query.decision)
            : undefined,
        query.q
          ? sql`(fold(${proposals.titleEn}) like ${pattern} escape '\\' or fold(${proposals.titleFr}) like ${pattern} escape '\\'
              or fold(${proposals.abstractEn}) like ${pattern} escape '\\' or fold(${proposals.abstractFr}) like ${pattern} escape '\\'
              or fold(${proposals.code}) like ${pattern} escape '\\'
              or exists (select 1 from proposal_speakers ps join speakers s on s.id = ps.speaker_id
                         where ps.proposal_id = ${proposals.id} and fold(s.name) like ${pattern} escape '\\'))`
          : undefined,
      ),
    )
    .all();
  const scores = scoresByProposal(
    db,
    rows.map((r) => r.id),
    listCriteria(db),
  );
  const items: ProposalListItem[] = rows
    .map((r) => ({
      id: r.id,
      code: r.code,
      title: { en: r.titleEn, fr: r.titleFr },
      state: r.state,
      pendingState: r.pendingState,
      track: r.trackEn === null ? null : { en: r.trackEn, fr: r.trackFr! },
      format: { en: r.formatEn, fr: r.formatFr },
      submittedAt: r.submittedAt,
      score: (r.own ? undefined : scores.get(r.id)) ?? summarise([], []),
    }))
    .filter((item) => {
      if (query.min === null && query.max === null) return true;
      const mean = item.score.mean;
      return mean !== null && (query.min === null || mean >= query.min - 1e-9) && (query.max === null || mean <= query.max + 1e-9);
    });
  const key = (item: ProposalListItem): number | string | null => {
    switch (query.sort) {
      case "title":
        return fold(anyText(item.title, query.locale ?? "en"));
      case "submitted":
        return item.submittedAt?.getTime() ?? null;
      case "count":
        return item.score.count;
      default:
        return item.score[query.sort];
    }
  };
  const sign = query.dir === "desc" ? -1 : 1;
  return items.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    // Proposals without a score stay last, whatever the direction.
    if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
    if (x < y) return -sign;
    if (x > y) return sign;
    return a.id - b.id;
  });
}

/** The score summary of each proposal of `ids`; a review whose author now speaks on the proposal does not count (reviewerNowOwns). */
export function scoresByProposal(
  db: Pick<Db, "select">,
  ids: readonly number[],
  criteria: readonly Criterion[],
): Map<number, ScoreSummary> {
  const result = new Map<number, ScoreSummary>();
  if (ids.length === 0) return result;
  const reviewRows = db
    .select({ id: reviews.id, proposalId: reviews.proposalId, abstain: reviews.abstain })
    .from(reviews)
    .innerJoin(users, eq(users.id, reviews.reviewerId))
    .innerJoin(proposals, eq(proposals.id, reviews.proposalId))
    .where(and(inArray(reviews.proposalId, [...ids]), sql`not ${reviewerNowOwns()}`))
    .all();
  const scoreRows = reviewRows.length
    ? db
        .select()
        .from(reviewScores)
        .where(
          inArray(
            reviewScores.reviewId,
            reviewRows.map((r) => r.id),
          ),
        )
        .all()
    : [];
  const scoresOf = new Map<number, Map<number, number>>();
  for (const s of scoreRows) {
    const map = scoresOf.get(s.reviewId) ?? new Map<number, number>();
    map.set(s.criterionId, s.score);
    scoresOf.set(s.reviewId, map);
  }
  const byProposal = new Map<number, { abstain: boolean; scores: Map<number, number> }[]>();
  for (const r of reviewRows)
    byProposal.set(r.proposalId, [
      ...(byProposal.get(r.proposalId) ?? []),
      { abstain: r.abstain, scores: scoresOf.get(r.id) ?? new Map() },
    ]);
  for (const id of ids) result.set(id, summarise(byProposal.get(id) ?? [], criteria));
  return result;
}

/** Everything the organizers see of one proposal: itself, speakers, reviews with scores, score, messages. */
export function proposalDetail(db: Pick<Db, "select">, code: string, viewer?: Actor) {
  const row = db
    .select({
      proposal: proposals,
      formatEn: formats.nameEn,
      formatFr: formats.nameFr,
      trackEn: tracks.nameEn,
      trackFr: tracks.nameFr,
      own: viewer ? sql<number>`${ownProposal(viewer)}` : sql<number>`0`,
    })
    .from(proposals)
    .innerJoin(formats, eq(formats.id, proposals.formatId))
    .leftJoin(tracks, eq(tracks.id, proposals.trackId))
    .where(eq(proposals.code, code))
    .get();
  if (!row || row.proposal.state === "draft") return undefined;
  const criteria = listCriteria(db);
  // An organizer who speaks on the proposal sees neither its reviews nor its score: others decide it.
  const own = !!row.own;
  const all = own ? [] : reviewsOf(db, row.proposal.id, criteria);
  return {
    own,
    proposal: row.proposal,
    format: { en: row.formatEn, fr: row.formatFr },
    track: row.trackEn === null ? null : { en: row.trackEn, fr: row.trackFr! },
    speakers: speakersOf(db, row.proposal.id),
    criteria,
    reviews: all,
    // A review by someone who now speaks on the proposal shows, marked, but does not count.
    score: summarise(
      all.filter((r) => !r.nowSpeaker),
      criteria,
    ),
    sessionSlug: row.proposal.sessionId
      ? (db.select({ slug: sessions.slug }).from(sessions).where(eq(sessions.id, row.proposal.sessionId)).get()?.slug ?? null)
      : null,
    messages: db
      .select({ body: proposalMessages.body, createdAt: proposalMessages.createdAt, author: users.email })
      .from(proposalMessages)
      .innerJoin(users, eq(users.id, proposalMessages.authorId))
      .where(eq(proposalMessages.proposalId, row.proposal.id))
      .orderBy(asc(proposalMessages.createdAt), asc(proposalMessages.id))
      .all(),
  };
}

/** Longest words to the speakers with a rejection (characters). */
export const MAX_REASON = 2000;

/** `own_proposal`: the organizer speaks on (or wrote, or is invited to) it; someone else decides. */
export type DecideRefusal = "not_found" | "not_submitted" | "own_proposal";

/**
 * Sets (or, with null, clears) the pending decision of proposals, all or none: every one must still
 * be `submitted` (a released decision is final). Audited per proposal.
 */
export function setPendingDecisions(
  db: Db,
  actor: Actor,
  codes: readonly string[],
  decision: PendingDecision | null,
  { reason = "", now = Date.now() }: { reason?: string; now?: number } = {},
): { ok: true; count: number } | { ok: false; reason: DecideRefusal; code: string } {
  return db.transaction(
    (tx) => {
      const rows = codes.length
        ? tx
            .select({
              id: proposals.id,
              code: proposals.code,
              state: proposals.state,
              pendingState: proposals.pendingState,
              decisionReason: proposals.decisionReason,
              own: sql<number>`${ownProposal(actor)}`,
            })
            .from(proposals)
            .where(inArray(proposals.code, [...codes]))
            .all()
        : [];
      for (const code of codes) {
        const row = rows.find((r) => r.code === code);
        if (!row) return { ok: false, reason: "not_found", code } as const;
        if (row.state !== "submitted") return { ok: false, reason: "not_submitted", code } as const;
        if (row.own) return { ok: false, reason: "own_proposal", code } as const;
      }
      // Only a rejection carries the committee's words.
      const words = decision === "rejected" ? reason.trim() : "";
      for (const row of rows) {
        if (row.pendingState === decision && row.decisionReason === words) continue;
        tx.update(proposals)
          // Not `updatedAt`: the speakers see it, and a decision must not show before its release.
          .set({ pendingState: decision, decisionReason: words })
          .where(and(eq(proposals.id, row.id), eq(proposals.state, "submitted")))
          .run();
        recordAudit(
          tx,
          {
            actor,
            action: "proposal.pending_decision",
            subjectType: "proposal",
            subjectId: row.code,
            before: { pendingState: row.pendingState, reason: row.decisionReason },
            after: { pendingState: decision, reason: words },
          },
          now,
        );
      }
      return { ok: true, count: rows.length } as const;
    },
    { behavior: "immediate" },
  );
}

/** Pending decisions waiting for release: how many of each. */
export function pendingCounts(db: Pick<Db, "select">): { accepted: number; rejected: number; total: number } {
  const rows = db
    .select({ decision: proposals.pendingState, n: sql<number>`count(*)` })
    .from(proposals)
    .where(and(eq(proposals.state, "submitted"), isNotNull(proposals.pendingState)))
    .groupBy(proposals.pendingState)
    .all();
  const accepted = rows.find((r) => r.decision === "accepted")?.n ?? 0;
  const rejected = rows.find((r) => r.decision === "rejected")?.n ?? 0;
  return { accepted, rejected, total: accepted + rejected };
}

/**
 * What the organizer confirms before a release: a digest of the pending (code, decision) pairs
 * shown on the confirmation step. Any change meanwhile (one cleared and another set, a decision
 * turned) changes it, and the release is refused.
 */
export function pendingDigest(db: Pick<Db, "select">): string {
  return digestOf(pendingPairs(db));
}

function pendingPairs(db: Pick<Db, "select">): { code: string; decision: PendingDecision }[] {
  return db
    .select({ code: proposals.code, decision: proposals.pendingState })
    .from(proposals)
    .where(and(eq(proposals.state, "submitted"), isNotNull(proposals.pendingState)))
    .all()
    .map((r) => ({ code: r.code, decision: r.decision! }));
}

function digestOf(pairs: readonly { code: string; decision: string }[]): string {
  const lines = pairs.map((p) => `${p.code}:${p.decision}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("base64url").slice(0, 32);
}

const DECISION_TEMPLATES = ["cfp.accepted", "cfp.rejected"] as const;

/**
 * Releases every pending decision together: in one transaction, each submitted proposal with a
 * pending decision becomes accepted or rejected, an accepted one gets its confirmation link
 * (`cfp_tokens`, purpose `confirm`, hash only; the nonce travels in the e-mail payload as `nonce`), and each
 * speaker gets one e-mail, held in the outbox until an organizer sends it. `expected` is the
 * `pendingDigest` the organizer confirmed: if the decisions changed meanwhile, nothing is released.
 */
export function releaseDecisions(
  db: Db,
  appKey: Buffer,
  actor: Actor,
  expected: string,
  now: number = Date.now(),
): { ok: true; accepted: number; rejected: number; messages: number } | { ok: false; reason: "nothing" | "count_changed"; count: number } {
  return db.transaction(
    (tx) => {
      const due = tx
        .select()
        .from(proposals)
        .where(and(eq(proposals.state, "submitted"), isNotNull(proposals.pendingState)))
        .orderBy(asc(proposals.id))
        .all();
      if (due.length === 0) return { ok: false, reason: "nothing", count: 0 } as const;
      if (digestOf(due.map((p) => ({ code: p.code, decision: p.pendingState! }))) !== expected)
        return { ok: false, reason: "count_changed", count: due.length } as const;
      let accepted = 0;
      let messages = 0;
      for (const p of due) {
        const decision = p.pendingState!;
        // A proposal's decision is told once: a decision e-mail already queued is a bug, and undoes everything.
        const told = tx
          .select({ id: outbox.id })
          .from(outbox)
          .where(and(inArray(outbox.template, [...DECISION_TEMPLATES]), sql`json_extract(${outbox.payload}, '$.code') = ${p.code}`))
          .get();
        if (told) throw new Error(`Proposal ${p.code} already has a decision e-mail (${told.id})`);
        const changed = tx
          .update(proposals)
          .set({
            state: decision,
            pendingState: null,
            decidedAt: new Date(now),
            updatedAt: new Date(now),
            version: sql`${proposals.version} + 1`,
          })
          .where(and(eq(proposals.id, p.id), eq(proposals.state, "submitted")))
          .run();
        if (changed.changes !== 1) throw new Error(`Proposal ${p.code} changed during the release`);
        emitWebhook(tx, decision === "accepted" ? "proposal.accepted" : "proposal.rejected", { proposal: p.code, state: decision }, now);
        const people = speakersOf(tx, p.id).filter((s) => s.email);
        let confirmNonce: string | undefined;
        if (decision === "accepted") {
          accepted++;
          confirmNonce = randomNonce();
          tx.insert(cfpTokens)
            .values({
              tokenHash: tokenHash(confirmToken(appKey, confirmNonce)),
              purpose: "confirm",
              email: people[0]?.email ?? "",
              proposalId: p.id,
              expiresAt: new Date(now + CONFIRM_DAYS * 86_400_000),
              createdBy: actor.id,
              createdAt: new Date(now),
            })
            .run();
        }
        for (const person of people) {
          const payload = { name: person.name, title: anyText(proposalTitle(p), person.language), code: p.code };
          if (decision === "accepted")
            enqueue(
              tx,
              {
                template: "cfp.accepted",
                language: person.language,
                recipient: person.email!,
                payload: { ...payload, nonce: confirmNonce! },
              },
              now,
              { held: true },
            );
          else
            enqueue(
              tx,
              {
                template: "cfp.rejected",
                language: person.language,
                recipient: person.email!,
                payload: { ...payload, ...(p.decisionReason ? { reason: p.decisionReason } : {}) },
              },
              now,
              { held: true },
            );
          messages++;
        }
        recordAudit(
          tx,
          {
            actor,
            action: "proposal.decision_released",
            subjectType: "proposal",
            subjectId: p.code,
            before: { state: "submitted", pendingState: decision },
            after: { state: decision, messages: people.length },
          },
          now,
        );
      }
      return { ok: true, accepted, rejected: due.length - accepted, messages } as const;
    },
    { behavior: "immediate" },
  );
}

/** Writes to a proposal's speakers: the message is kept with the proposal and e-mailed to each (not held). */
export function messageSpeakers(
  db: Db,
  actor: Actor,
  code: string,
  body: string,
  now: number = Date.now(),
): { ok: true; recipients: number } | { ok: false; reason: "not_found" | "empty" | "too_long" | "no_recipient" } {
  const text = body.replace(/\r\n?/g, "\n").trim();
  if (!text) return { ok: false, reason: "empty" };
  if (text.length > MAX_MESSAGE) return { ok: false, reason: "too_long" };
  return db.transaction(
    (tx) => {
      const p = tx.select().from(proposals).where(eq(proposals.code, code)).get();
      if (!p || p.state === "draft") return { ok: false, reason: "not_found" } as const;
      const people = speakersOf(tx, p.id).filter((s) => s.email);
      if (people.length === 0) return { ok: false, reason: "no_recipient" } as const;
      tx.insert(proposalMessages)
        .values({ proposalId: p.id, authorId: actor.id, body: text, createdAt: new Date(now) })
        .run();
      for (const person of people)
        enqueue(
          tx,
          {
            template: "cfp.message",
            language: person.language,
            recipient: person.email!,
            payload: { name: person.name, title: anyText(proposalTitle(p), person.language), code: p.code, body: text },
          },
          now,
        );
      recordAudit(
        tx,
        { actor, action: "proposal.message", subjectType: "proposal", subjectId: code, after: { recipients: people.length } },
        now,
      );
      return { ok: true, recipients: people.length } as const;
    },
    { behavior: "immediate" },
  );
}
