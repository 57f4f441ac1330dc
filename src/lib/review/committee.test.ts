import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, reviewerAssignments, reviews, reviewScores } from "../../../db/schema/index.ts";
import { catalogue, proposal, speakerProfile, user, withoutDefaultCriterion } from "../../../tests/fixtures/cfp.ts";
import {
  assignReviewer,
  criterionSchema,
  deleteCriterion,
  getSettings,
  listAssignments,
  listCriteria,
  listReviewers,
  removeAssignment,
  saveCriterion,
  saveSettings,
} from "./committee.ts";

let db: Db;
const organizer = { id: 0, email: "organizer@example.org" };
beforeEach(() => {
  db = openDatabase(":memory:");
  organizer.id = user(db, organizer.email, ["organizer"]).id;
});

const form = (over: Record<string, string> = {}) => ({
  nameEn: "Relevance",
  nameFr: "Pertinence",
  scaleMin: "0",
  scaleMax: "5",
  weight: "1,5",
  position: "0",
  ...over,
});
const errorsOf = (input: Record<string, string>) => {
  const parsed = criterionSchema.safeParse(input);
  return parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [i.path.join("."), i.message]));
};

describe("criteria", () => {
  it("validate names, a whole-number scale from min to max, a weight above zero", () => {
    expect(criterionSchema.parse(form())).toEqual({
      nameEn: "Relevance",
      nameFr: "Pertinence",
      scaleMin: 0,
      scaleMax: 5,
      weight: 1.5,
      position: 0,
    });
    expect(errorsOf(form({ nameEn: "  ", nameFr: "x".repeat(101) }))).toEqual({ nameEn: "required", nameFr: "tooLong:100" });
    expect(errorsOf(form({ scaleMin: "5", scaleMax: "5" }))).toEqual({ scaleMax: "review:scaleOrder" });
    expect(errorsOf(form({ scaleMin: "0.5" }))).toEqual({ scaleMin: "review:wholeNumber" });
    expect(errorsOf(form({ scaleMax: "1000" }))).toEqual({ scaleMax: "review:outOfRange" });
    expect(errorsOf(form({ weight: "0" }))).toEqual({ weight: "review:weightPositive" });
    expect(errorsOf(form({ weight: "" }))).toEqual({ weight: "required" });
  });

  it("start as one default, Overall from 1 to 5, which changes and goes like any other", () => {
    const [overall] = listCriteria(db);
    expect(listCriteria(db)).toHaveLength(1);
    expect(overall).toMatchObject({ nameEn: "Overall", nameFr: "Appréciation générale", scaleMin: 1, scaleMax: 5, weight: 1, position: 0 });
    expect(saveCriterion(db, organizer, { ...criterionSchema.parse(form({ nameEn: "Overall merit" })), id: overall!.id })).toEqual({
      ok: true,
      id: overall!.id,
    });
    expect(listCriteria(db).map((c) => [c.nameEn, c.scaleMin, c.scaleMax])).toEqual([["Overall merit", 0, 5]]);
    expect(deleteCriterion(db, organizer, overall!.id)).toEqual({ ok: true });
    expect(listCriteria(db)).toEqual([]);
  });

  it("are created, changed, listed in order and deleted, audited", () => {
    // The committee's own criteria, in place of the default one.
    withoutDefaultCriterion(db);
    const a = saveCriterion(db, organizer, { ...criterionSchema.parse(form({ position: "2" })) });
    const b = saveCriterion(db, organizer, { ...criterionSchema.parse(form({ nameEn: "Clarity", position: "1" })) });
    expect(listCriteria(db).map((c) => c.nameEn)).toEqual(["Clarity", "Relevance"]);
    if (!a.ok || !b.ok) throw new Error("not saved");
    expect(saveCriterion(db, organizer, { ...criterionSchema.parse(form({ nameEn: "Originality", position: "0" })), id: a.id })).toEqual({
      ok: true,
      id: a.id,
    });
    expect(listCriteria(db).map((c) => c.nameEn)).toEqual(["Originality", "Clarity"]);
    expect(saveCriterion(db, organizer, { ...criterionSchema.parse(form()), id: 999 })).toEqual({ ok: false, reason: "not_found" });
    expect(deleteCriterion(db, organizer, b.id)).toEqual({ ok: true });
    expect(deleteCriterion(db, organizer, b.id)).toEqual({ ok: false, reason: "not_found" });
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .map((e) => e.action),
    ).toEqual(["review.criterion_create", "review.criterion_create", "review.criterion_update", "review.criterion_delete"]);
    // The deletion says how many scores went with it (none were given here).
    expect(db.select().from(auditLog).all().at(-1)!.before).toMatchObject({ nameEn: "Clarity", scores: 0 });
  });

  it("take their scores with them when deleted, and the audit counts them", () => {
    const saved = saveCriterion(db, organizer, criterionSchema.parse(form()));
    if (!saved.ok) throw new Error("not saved");
    const rita = user(db, "rita@example.org", ["reviewer"]);
    const p = proposal(db, [speakerProfile(db, "ada@example.org").id]);
    const review = db.insert(reviews).values({ proposalId: p.id, reviewerId: rita.id }).returning({ id: reviews.id }).get();
    db.insert(reviewScores).values({ reviewId: review.id, criterionId: saved.id, score: 4 }).run();
    expect(deleteCriterion(db, organizer, saved.id)).toEqual({ ok: true });
    expect(db.select().from(reviewScores).all()).toEqual([]);
    expect(db.select().from(auditLog).all().at(-1)!.before).toMatchObject({ id: saved.id, scores: 1 });
  });
});

describe("settings", () => {
  it("default to hidden names and others' reviews after one's own, and are saved", () => {
    expect(getSettings(db)).toEqual({ hideSpeakerNames: true, othersAfterOwn: true });
    saveSettings(db, organizer, { hideSpeakerNames: false, othersAfterOwn: true });
    saveSettings(db, organizer, { hideSpeakerNames: false, othersAfterOwn: false });
    expect(getSettings(db)).toEqual({ hideSpeakerNames: false, othersAfterOwn: false });
  });
});

describe("assignments", () => {
  it("assign reviewers (and organizers) to all, a track or one proposal; refuse others, duplicates and unknown targets", () => {
    const rita = user(db, "rita@example.org", ["reviewer"]);
    const plain = user(db, "plain@example.org");
    const checkin = user(db, "desk@example.org", ["checkin"]);
    expect(listReviewers(db).map((r) => r.email)).toEqual(["organizer@example.org", "rita@example.org"]);
    const { trackId } = catalogue(db);
    const p = proposal(db, [speakerProfile(db, "ada@example.org").id]);
    const draft = proposal(db, [speakerProfile(db, "bob@example.org").id], { state: "draft" });
    expect(assignReviewer(db, organizer, rita.id, { scope: "all" })).toMatchObject({ ok: true });
    expect(assignReviewer(db, organizer, rita.id, { scope: "all" })).toEqual({ ok: false, reason: "duplicate" });
    expect(assignReviewer(db, organizer, rita.id, { scope: "track", trackId })).toMatchObject({ ok: true });
    expect(assignReviewer(db, organizer, rita.id, { scope: "track", trackId: 999 })).toEqual({ ok: false, reason: "unknown_track" });
    expect(assignReviewer(db, organizer, rita.id, { scope: "proposal", code: p.code })).toMatchObject({ ok: true });
    expect(assignReviewer(db, organizer, rita.id, { scope: "proposal", code: draft.code })).toEqual({
      ok: false,
      reason: "unknown_proposal",
    });
    expect(assignReviewer(db, organizer, plain.id, { scope: "all" })).toEqual({ ok: false, reason: "not_reviewer" });
    expect(assignReviewer(db, organizer, checkin.id, { scope: "all" })).toEqual({ ok: false, reason: "not_reviewer" });
    expect(listAssignments(db).map((a) => [a.email, a.scope, a.proposalCode])).toEqual([
      ["rita@example.org", "all", null],
      ["rita@example.org", "track", null],
      ["rita@example.org", "proposal", p.code],
    ]);
    const first = db.select().from(reviewerAssignments).get()!;
    expect(removeAssignment(db, organizer, first.id)).toEqual({ ok: true });
    expect(removeAssignment(db, organizer, first.id)).toEqual({ ok: false, reason: "not_found" });
    expect(listAssignments(db)).toHaveLength(2);
  });
});
