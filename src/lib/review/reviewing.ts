import { and, asc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { users } from "../../../db/schema/auth.ts";
import { proposals, proposalSpeakers, reviews, reviewScores } from "../../../db/schema/cfp.ts";
import { formats, speakers, tracks } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import { allowed, type Principal } from "../auth/guard.ts";
import type { Localized } from "../programme/texts.ts";
import { reviewTotal } from "./aggregate.ts";
import { getSettings, listCriteria, type Actor, type Criterion } from "./committee.ts";

/**
 * The reviewer's side: the queue of proposals assigned to them, a proposal as they may see it
 * (anonymised when the committee hides names; others' reviews only after their own when it says so)
 * and their review. Nobody sees or reviews a proposal they speak on, are invited to, or created.
 */

/** Longest review comment, in characters. */
export const MAX_COMMENT = 5000;

/**
 * Who reviews: the account's id and address. `everyProposal`: an organizer who runs the call
 * (`cfp.manage`), and so may decide any proposal, may review any of them without an assignment
 * (never one they speak on: that rule holds for everyone).
 */
export type Reviewer = Actor & { everyProposal?: boolean };

/** The reviewer a signed-in principal is: organizers who run the call review every proposal (but their own). */
export function reviewerOf(principal: Principal): Reviewer {
  return { id: principal.user.id, email: principal.user.email, everyProposal: allowed(principal, "cfp.manage") };
}

/** SQL true when `reviewer` may review the proposal of the outer query by assignment or as an organizer. */
function mayReview(reviewer: Reviewer): SQL {
  return reviewer.everyProposal ? sql`1` : assignedTo(reviewer.id);
}

/** SQL true when `reviewer` speaks on (or created, or is invited to) the proposal of the outer query. */
export function ownProposal(reviewer: Reviewer): SQL {
  return ownBy(sql`${reviewer.id}`, sql`${reviewer.email.toLowerCase()}`);
}

/**
 * SQL true when the author of the review of the outer query (`reviews` joined with `users` and
 * `proposals`) now speaks on (or created, or is invited to) its proposal: e.g. they accepted a
 * co-speaker invitation after reviewing. Such a review no longer counts in the score.
 */
export function reviewerNowOwns(): SQL {
  return ownBy(sql`${reviews.reviewerId}`, sql`lower(${users.email})`);
}

/** `ownProposal` for an account id and a lower-case e-mail address given as SQL. */
function ownBy(id: SQL, email: SQL): SQL {
  return sql`(${proposals.createdBy} = ${id}
    or exists (select 1 from proposal_speakers ps join speakers s on s.id = ps.speaker_id
               where ps.proposal_id = ${proposals.id} and (s.user_id = ${id} or lower(s.email) = ${email}))
    or exists (select 1 from proposal_invitations pi
               where pi.proposal_id = ${proposals.id} and lower(pi.email) = ${email} and pi.state in ('pending', 'accepted')))`;
}

/** SQL true when `reviewer` is assigned the proposal of the outer query (every proposal, its track, or itself). */
export function assignedTo(reviewerId: number): SQL {
  return sql`exists (select 1 from reviewer_assignments ra where ra.user_id = ${reviewerId}
    and (ra.scope = 'all' or (ra.scope = 'track' and ra.track_id = ${proposals.trackId}) or (ra.scope = 'proposal' and ra.proposal_id = ${proposals.id})))`;
}

export interface QueueItem {
  code: string;
  /** In English and in French (one at least). */
  title: Localized;
  format: { en: string; fr: string };
  track: { en: string; fr: string } | null;
  language: "en" | "fr";
  submittedAt: Date | null;
  /** The reviewer's own review, if given: an abstention or not. */
  reviewed: "scored" | "abstained" | null;
}

/** The submitted proposals assigned to `reviewer`, never one of their own, oldest submission first, with whether they reviewed it. */
export function reviewQueue(db: Pick<Db, "select">, reviewer: Reviewer): QueueItem[] {
  const rows = db
    .select({
      code: proposals.code,
      titleEn: proposals.titleEn,
      titleFr: proposals.titleFr,
      formatEn: formats.nameEn,
      formatFr: formats.nameFr,
      trackEn: tracks.nameEn,
      trackFr: tracks.nameFr,
      language: proposals.language,
      submittedAt: proposals.submittedAt,
      abstain: reviews.abstain,
      reviewId: reviews.id,
    })
    .from(proposals)
    .innerJoin(formats, eq(formats.id, proposals.formatId))
    .leftJoin(tracks, eq(tracks.id, proposals.trackId))
    .leftJoin(reviews, and(eq(reviews.proposalId, proposals.id), eq(reviews.reviewerId, reviewer.id)))
    .where(and(eq(proposals.state, "submitted"), mayReview(reviewer), sql`not ${ownProposal(reviewer)}`))
    .orderBy(asc(proposals.submittedAt), asc(proposals.id))
    .all();
  return rows.map((r) => ({
    code: r.code,
    title: { en: r.titleEn, fr: r.titleFr },
    format: { en: r.formatEn, fr: r.formatFr },
    track: r.trackEn === null ? null : { en: r.trackEn, fr: r.trackFr! },
    language: r.language,
    submittedAt: r.submittedAt,
    reviewed: r.reviewId === null ? null : r.abstain ? "abstained" : "scored",
  }));
}

/** A review as shown: scores by criterion id. */
export interface ShownReview {
  reviewer: string;
  abstain: boolean;
  comment: string;
  scores: Record<number, number>;
  /** Weighted total 0..100 (aggregate.ts), null for an abstention. */
  total: number | null;
  updatedAt: Date;
}

/** What a reviewer may see of a proposal. Speakers' e-mail addresses and photos are never part of it. */
export interface ReviewerView {
  code: string;
  /** Title, abstract and description in English and in French. */
  title: Localized;
  abstract: Localized;
  description: Localized;
  notes: string;
  format: { en: string; fr: string };
  track: { en: string; fr: string } | null;
  language: "en" | "fr";
  audience: string;
  tlp: string;
  state: string;
  /** Null when the committee hides the speakers; their number shows either way. */
  speakers: { name: string; affiliation: string; country: string; bio: Localized }[] | null;
  speakerCount: number;
  criteria: Criterion[];
  own: ShownReview | null;
  /** The others' reviews, their authors as "#1", "#2"...; null while hidden (before one's own review, when the committee says so). */
  others: ShownReview[] | null;
  /** Whether a review may still be given or changed. */
  open: boolean;
}

/**
 * Reviews of a proposal with their scores, oldest first (all reviewers). `nowSpeaker`: its author
 * now speaks on the proposal (reviewerNowOwns), so the review does not count in its score.
 */
export function reviewsOf(
  db: Pick<Db, "select">,
  proposalId: number,
  criteria: readonly Criterion[],
): (ShownReview & { reviewerId: number; nowSpeaker: boolean })[] {
  const rows = db
    .select({
      id: reviews.id,
      reviewerId: reviews.reviewerId,
      email: users.email,
      abstain: reviews.abstain,
      comment: reviews.comment,
      updatedAt: reviews.updatedAt,
      nowSpeaker: sql<number>`${reviewerNowOwns()}`,
    })
    .from(reviews)
    .innerJoin(users, eq(users.id, reviews.reviewerId))
    .innerJoin(proposals, eq(proposals.id, reviews.proposalId))
    .where(eq(reviews.proposalId, proposalId))
    .orderBy(asc(reviews.createdAt), asc(reviews.id))
    .all();
  const scores = rows.length
    ? db
        .select()
        .from(reviewScores)
        .where(
          inArray(
            reviewScores.reviewId,
            rows.map((r) => r.id),
          ),
        )
        .all()
    : [];
  return rows.map((r) => {
    const own: Record<number, number> = {};
    for (const s of scores) if (s.reviewId === r.id) own[s.criterionId] = s.score;
    return {
      reviewerId: r.reviewerId,
      reviewer: r.email,
      abstain: r.abstain,
      comment: r.comment,
      scores: own,
      total: reviewTotal({ abstain: r.abstain, scores: own }, criteria),
      updatedAt: r.updatedAt,
      nowSpeaker: !!r.nowSpeaker,
    };
  });
}

export type ViewRefusal = "not_found" | "own_proposal" | "not_assigned";

/** The proposal `code` as `reviewer` may see it, or why not. */
export function reviewerView(
  db: Pick<Db, "select">,
  reviewer: Reviewer,
  code: string,
): { ok: true; view: ReviewerView } | { ok: false; reason: ViewRefusal } {
  const row = db
    .select({
      proposal: proposals,
      formatEn: formats.nameEn,
      formatFr: formats.nameFr,
      trackEn: tracks.nameEn,
      trackFr: tracks.nameFr,
      own: sql<number>`${ownProposal(reviewer)}`,
      assigned: sql<number>`${mayReview(reviewer)}`,
    })
    .from(proposals)
    .innerJoin(formats, eq(formats.id, proposals.formatId))
    .leftJoin(tracks, eq(tracks.id, proposals.trackId))
    .where(eq(proposals.code, code))
    .get();
  if (!row || ["draft", "withdrawn"].includes(row.proposal.state)) return { ok: false, reason: "not_found" };
  if (row.own) return { ok: false, reason: "own_proposal" };
  if (!row.assigned) return { ok: false, reason: "not_assigned" };
  const p = row.proposal;
  const settings = getSettings(db);
  const criteria = listCriteria(db);
  const speakerRows = db
    .select({
      name: speakers.name,
      affiliation: speakers.affiliation,
      country: speakers.country,
      bioEn: speakers.bioEn,
      bioFr: speakers.bioFr,
    })
    .from(proposalSpeakers)
    .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
    .where(eq(proposalSpeakers.proposalId, p.id))
    .orderBy(asc(proposalSpeakers.position))
    .all()
    .map(({ bioEn, bioFr, ...s }) => ({ ...s, bio: { en: bioEn, fr: bioFr } }));
  const all = reviewsOf(db, p.id, criteria);
  const mine = all.find((r) => r.reviewerId === reviewer.id);
  const strip = ({ reviewerId: _, nowSpeaker: __, ...shown }: ShownReview & { reviewerId: number; nowSpeaker: boolean }): ShownReview =>
    shown;
  // Who the other reviewers are is for the organizers (/admin/cfp): a reviewer sees "#1", "#2"...
  const others = all.filter((r) => r.reviewerId !== reviewer.id).map((r, i) => ({ ...strip(r), reviewer: `#${i + 1}` }));
  return {
    ok: true,
    view: {
      code: p.code,
      title: { en: p.titleEn, fr: p.titleFr },
      abstract: { en: p.abstractEn, fr: p.abstractFr },
      description: { en: p.descriptionEn, fr: p.descriptionFr },
      notes: p.notes,
      format: { en: row.formatEn, fr: row.formatFr },
      track: row.trackEn === null ? null : { en: row.trackEn, fr: row.trackFr! },
      language: p.language,
      audience: p.audience,
      tlp: p.tlp,
      state: p.state,
      speakers: settings.hideSpeakerNames ? null : speakerRows,
      speakerCount: speakerRows.length,
      criteria,
      own: mine ? strip(mine) : null,
      others: settings.othersAfterOwn && !mine ? null : others,
      open: p.state === "submitted",
    },
  };
}

/** A review as given: an abstention, or a score for every criterion. */
export interface ReviewInput {
  code: string;
  abstain: boolean;
  comment: string;
  /** Score by criterion id (ignored for an abstention). */
  scores: Record<number, number | undefined>;
}

export type ReviewRefusal = ViewRefusal | "closed" | "too_long" | "abstention_final" | { scores: number[] };

/** Criteria ids whose score is missing or outside the scale (or not a whole number). */
export function badScores(criteria: readonly Criterion[], scores: ReviewInput["scores"]): number[] {
  return criteria
    .filter((c) => {
      const score = scores[c.id];
      return score === undefined || !Number.isInteger(score) || score < c.scaleMin || score > c.scaleMax;
    })
    .map((c) => c.id);
}

/**
 * Gives or changes `reviewer`'s review of a submitted proposal (one per reviewer and proposal):
 * scores for every criterion, or an abstention without scores, and a comment. Audited.
 */
export function submitReview(
  db: Db,
  reviewer: Reviewer,
  input: ReviewInput,
  now: number = Date.now(),
): { ok: true; created: boolean } | { ok: false; reason: ReviewRefusal } {
  if (input.comment.length > MAX_COMMENT) return { ok: false, reason: "too_long" };
  return db.transaction(
    (tx) => {
      const seen = reviewerView(tx, reviewer, input.code);
      if (!seen.ok) return seen;
      if (!seen.view.open) return { ok: false, reason: "closed" } as const;
      // Abstaining showed the others' reviews: turning it into scores now would be scoring with them in view.
      if (seen.view.own?.abstain && !input.abstain && getSettings(tx).othersAfterOwn) {
        return { ok: false, reason: "abstention_final" } as const;
      }
      const criteria = seen.view.criteria;
      if (!input.abstain) {
        const bad = badScores(criteria, input.scores);
        if (bad.length) return { ok: false, reason: { scores: bad } } as const;
      }
      const proposalId = tx.select({ id: proposals.id }).from(proposals).where(eq(proposals.code, input.code)).get()!.id;
      const scores = input.abstain ? {} : Object.fromEntries(criteria.map((c) => [c.id, input.scores[c.id]!]));
      const existing = tx
        .select({ id: reviews.id })
        .from(reviews)
        .where(and(eq(reviews.proposalId, proposalId), eq(reviews.reviewerId, reviewer.id)))
        .get();
      let reviewId: number;
      if (existing) {
        reviewId = existing.id;
        tx.update(reviews)
          .set({ abstain: input.abstain, comment: input.comment, updatedAt: new Date(now) })
          .where(eq(reviews.id, reviewId))
          .run();
        tx.delete(reviewScores).where(eq(reviewScores.reviewId, reviewId)).run();
      } else {
        reviewId = tx
          .insert(reviews)
          .values({
            proposalId,
            reviewerId: reviewer.id,
            abstain: input.abstain,
            comment: input.comment,
            createdAt: new Date(now),
            updatedAt: new Date(now),
          })
          .returning({ id: reviews.id })
          .get().id;
      }
      for (const [criterionId, score] of Object.entries(scores))
        tx.insert(reviewScores)
          .values({ reviewId, criterionId: Number(criterionId), score })
          .run();
      recordAudit(
        tx,
        {
          actor: reviewer,
          action: existing ? "review.update" : "review.create",
          subjectType: "proposal",
          subjectId: input.code,
          before: seen.view.own ? { abstain: seen.view.own.abstain, scores: seen.view.own.scores } : undefined,
          after: { abstain: input.abstain, scores },
        },
        now,
      );
      return { ok: true, created: !existing } as const;
    },
    { behavior: "immediate" },
  );
}
