import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { text } from "../fields.ts";
import type { Db } from "../../../db/client.ts";
import { users } from "../../../db/schema/auth.ts";
import { proposals, reviewCriteria, reviewerAssignments, reviewScores, reviewSettings } from "../../../db/schema/cfp.ts";
import { tracks } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";

/**
 * The committee's settings: scoring criteria, whether reviewers see the speakers' names, whether a
 * reviewer sees the others' reviews before giving their own, and who reviews what. Every change
 * runs in one transaction with its audit entry.
 */

/** Who acts (for the audit log). */
export interface Actor {
  id: number;
  email: string;
}

export type Criterion = typeof reviewCriteria.$inferSelect;
export type ReviewSettings = { hideSpeakerNames: boolean; othersAfterOwn: boolean };

/** Longest criterion name. */
export const MAX_CRITERION_NAME = 100;
/** Widest scale: 0..100 at most, whole numbers. */
export const SCALE_LIMITS = { min: -100, max: 100 } as const;

const integer = (min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" ? Number(v.trim()) : typeof v === "number" ? v : undefined),
    z.number("required").int("review:wholeNumber").min(min, "review:outOfRange").max(max, "review:outOfRange"),
  );

/** The criterion form's fields: names in both languages, a scale of whole numbers, a weight above zero, a position. */
export const criterionShape = {
  nameEn: text(MAX_CRITERION_NAME, { required: true }),
  nameFr: text(MAX_CRITERION_NAME, { required: true }),
  scaleMin: integer(SCALE_LIMITS.min, SCALE_LIMITS.max),
  scaleMax: integer(SCALE_LIMITS.min, SCALE_LIMITS.max),
  weight: z.preprocess(
    (v) => (typeof v === "string" && v.trim() !== "" ? Number(v.trim().replace(",", ".")) : typeof v === "number" ? v : undefined),
    z.number("required").gt(0, "review:weightPositive").max(100, "review:outOfRange"),
  ),
  position: integer(0, 1000),
};

/** The scale must run upwards. */
export function scaleOrder(value: { scaleMin: number; scaleMax: number }, ctx: z.RefinementCtx): void {
  if (value.scaleMax <= value.scaleMin) ctx.addIssue({ code: "custom", path: ["scaleMax"], message: "review:scaleOrder" });
}

/** The criterion form. */
export const criterionSchema = z.object(criterionShape).superRefine(scaleOrder);
export type CriterionInput = z.output<typeof criterionSchema>;

/** The committee's criteria, in order. */
export function listCriteria(db: Pick<Db, "select">): Criterion[] {
  return db.select().from(reviewCriteria).orderBy(asc(reviewCriteria.position), asc(reviewCriteria.id)).all();
}

/** Adds a criterion (id absent) or changes one. */
export function saveCriterion(
  db: Db,
  actor: Actor,
  input: CriterionInput & { id?: number | null },
  now: number = Date.now(),
): { ok: true; id: number } | { ok: false; reason: "not_found" } {
  return db.transaction(
    (tx) => {
      const fields = {
        nameEn: input.nameEn,
        nameFr: input.nameFr,
        scaleMin: input.scaleMin,
        scaleMax: input.scaleMax,
        weight: input.weight,
        position: input.position,
      };
      if (input.id) {
        const before = tx.select().from(reviewCriteria).where(eq(reviewCriteria.id, input.id)).get();
        if (!before) return { ok: false, reason: "not_found" } as const;
        tx.update(reviewCriteria).set(fields).where(eq(reviewCriteria.id, input.id)).run();
        recordAudit(
          tx,
          { actor, action: "review.criterion_update", subjectType: "review_criterion", subjectId: input.id, before, after: fields },
          now,
        );
        return { ok: true, id: input.id } as const;
      }
      const { id } = tx.insert(reviewCriteria).values(fields).returning({ id: reviewCriteria.id }).get();
      recordAudit(tx, { actor, action: "review.criterion_create", subjectType: "review_criterion", subjectId: id, after: fields }, now);
      return { ok: true, id } as const;
    },
    { behavior: "immediate" },
  );
}

/** Removes a criterion (and the scores given on it). */
export function deleteCriterion(
  db: Db,
  actor: Actor,
  id: number,
  now: number = Date.now(),
): { ok: true } | { ok: false; reason: "not_found" } {
  return db.transaction(
    (tx) => {
      const before = tx.select().from(reviewCriteria).where(eq(reviewCriteria.id, id)).get();
      if (!before) return { ok: false, reason: "not_found" } as const;
      // The scores go with it (cascade), and every total changes: the audit says how many.
      const scores =
        tx
          .select({ n: sql<number>`count(*)` })
          .from(reviewScores)
          .where(eq(reviewScores.criterionId, id))
          .get()?.n ?? 0;
      tx.delete(reviewCriteria).where(eq(reviewCriteria.id, id)).run();
      recordAudit(
        tx,
        { actor, action: "review.criterion_delete", subjectType: "review_criterion", subjectId: id, before: { ...before, scores } },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** The committee's choices (the defaults while nobody saved them: names hidden, others' reviews after one's own). */
export function getSettings(db: Pick<Db, "select">): ReviewSettings {
  const row = db.select().from(reviewSettings).where(eq(reviewSettings.id, 1)).get();
  return { hideSpeakerNames: row?.hideSpeakerNames ?? true, othersAfterOwn: row?.othersAfterOwn ?? true };
}

/** Saves the committee's choices. */
export function saveSettings(db: Db, actor: Actor, next: ReviewSettings, now: number = Date.now()): void {
  db.transaction(
    (tx) => {
      const before = getSettings(tx);
      tx.insert(reviewSettings)
        .values({ id: 1, ...next, updatedAt: new Date(now) })
        .onConflictDoUpdate({ target: reviewSettings.id, set: { ...next, updatedAt: new Date(now) } })
        .run();
      recordAudit(tx, { actor, action: "review.settings", subjectType: "review_settings", subjectId: 1, before, after: next }, now);
    },
    { behavior: "immediate" },
  );
}

/** Accounts that may be assigned proposals: reviewers, and organizers (who hold the review permission too), not revoked. */
export function listReviewers(db: Pick<Db, "select">): { id: number; email: string; name: string; roles: string[] }[] {
  return db
    .select({ id: users.id, email: users.email, name: users.name, roles: users.roles })
    .from(users)
    .where(
      and(sql`${users.revokedAt} is null`, sql`exists (select 1 from json_each(${users.roles}) where value in ('reviewer', 'organizer'))`),
    )
    .orderBy(asc(users.email))
    .all();
}

/** Every assignment, with the reviewer's address and what it covers. */
export function listAssignments(db: Pick<Db, "select">) {
  return db
    .select({
      id: reviewerAssignments.id,
      userId: reviewerAssignments.userId,
      email: users.email,
      scope: reviewerAssignments.scope,
      trackId: reviewerAssignments.trackId,
      trackEn: tracks.nameEn,
      trackFr: tracks.nameFr,
      proposalId: reviewerAssignments.proposalId,
      proposalCode: proposals.code,
      proposalTitleEn: proposals.titleEn,
      proposalTitleFr: proposals.titleFr,
    })
    .from(reviewerAssignments)
    .innerJoin(users, eq(users.id, reviewerAssignments.userId))
    .leftJoin(tracks, eq(tracks.id, reviewerAssignments.trackId))
    .leftJoin(proposals, eq(proposals.id, reviewerAssignments.proposalId))
    .orderBy(asc(users.email), asc(reviewerAssignments.id))
    .all();
}

/** What an assignment covers. */
export type AssignmentTarget = { scope: "all" } | { scope: "track"; trackId: number } | { scope: "proposal"; code: string };

export type AssignRefusal = "not_reviewer" | "unknown_track" | "unknown_proposal" | "duplicate";

/** Assigns a reviewer every proposal, a track's, or one proposal. An identical assignment is refused. */
export function assignReviewer(
  db: Db,
  actor: Actor,
  userId: number,
  target: AssignmentTarget,
  now: number = Date.now(),
): { ok: true; id: number } | { ok: false; reason: AssignRefusal } {
  return db.transaction(
    (tx) => {
      if (!listReviewers(tx).some((r) => r.id === userId)) return { ok: false, reason: "not_reviewer" } as const;
      let trackId: number | null = null;
      let proposalId: number | null = null;
      if (target.scope === "track") {
        if (!tx.select({ id: tracks.id }).from(tracks).where(eq(tracks.id, target.trackId)).get())
          return { ok: false, reason: "unknown_track" } as const;
        trackId = target.trackId;
      } else if (target.scope === "proposal") {
        const proposal = tx
          .select({ id: proposals.id, state: proposals.state })
          .from(proposals)
          .where(eq(proposals.code, target.code))
          .get();
        if (!proposal || proposal.state === "draft") return { ok: false, reason: "unknown_proposal" } as const;
        proposalId = proposal.id;
      }
      const same = tx
        .select({ id: reviewerAssignments.id })
        .from(reviewerAssignments)
        .where(
          and(
            eq(reviewerAssignments.userId, userId),
            eq(reviewerAssignments.scope, target.scope),
            trackId === null ? sql`${reviewerAssignments.trackId} is null` : eq(reviewerAssignments.trackId, trackId),
            proposalId === null ? sql`${reviewerAssignments.proposalId} is null` : eq(reviewerAssignments.proposalId, proposalId),
          ),
        )
        .get();
      if (same) return { ok: false, reason: "duplicate" } as const;
      const after = { userId, scope: target.scope, trackId, proposalId };
      const { id } = tx.insert(reviewerAssignments).values(after).returning({ id: reviewerAssignments.id }).get();
      recordAudit(tx, { actor, action: "review.assign", subjectType: "reviewer_assignment", subjectId: id, after }, now);
      return { ok: true, id } as const;
    },
    { behavior: "immediate" },
  );
}

/** Removes an assignment (the reviews already given stay). */
export function removeAssignment(
  db: Db,
  actor: Actor,
  id: number,
  now: number = Date.now(),
): { ok: true } | { ok: false; reason: "not_found" } {
  return db.transaction(
    (tx) => {
      const before = tx.select().from(reviewerAssignments).where(eq(reviewerAssignments.id, id)).get();
      if (!before) return { ok: false, reason: "not_found" } as const;
      tx.delete(reviewerAssignments).where(eq(reviewerAssignments.id, id)).run();
      recordAudit(tx, { actor, action: "review.unassign", subjectType: "reviewer_assignment", subjectId: id, before }, now);
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}
