import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, proposalInvitations, reviews, reviewScores, tracks } from "../../../db/schema/index.ts";
import { assignAll, criterion, proposal, speakerProfile, user, withoutDefaultCriterion } from "../../../tests/fixtures/cfp.ts";
import { assignReviewer, saveSettings } from "./committee.ts";
import { reviewerView, reviewQueue, submitReview } from "./reviewing.ts";

let db: Db;
let reviewer: { id: number; email: string };
let relevance: number;
let clarity: number;
const organizer = { id: 0, email: "organizer@example.org" };

beforeEach(() => {
  db = openDatabase(":memory:");
  organizer.id = user(db, organizer.email, ["organizer"]).id;
  reviewer = user(db, "rita@example.org", ["reviewer"]);
  withoutDefaultCriterion(db);
  relevance = criterion(db, { nameEn: "Relevance", scaleMin: 0, scaleMax: 5, weight: 2 });
  clarity = criterion(db, { nameEn: "Clarity", scaleMin: 1, scaleMax: 3, weight: 1, position: 1 });
});

const scores = (a: number, b: number) => ({ [relevance]: a, [clarity]: b });

describe("the reviewer's queue", () => {
  it("lists the submitted proposals assigned by any scope, never their own, with whether they reviewed it", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada Lovelace-Example" });
    const mine = speakerProfile(db, reviewer.email, { name: "Rita Reviewer" });
    const a = proposal(db, [ada.id], { title: "A", submittedAt: new Date("2013-03-01") });
    const own = proposal(db, [ada.id, mine.id], { title: "Own, as co-speaker", submittedAt: new Date("2013-03-02") });
    proposal(db, [ada.id], { title: "Draft", state: "draft" });
    proposal(db, [ada.id], { title: "Withdrawn", state: "withdrawn" });
    expect(reviewQueue(db, reviewer)).toEqual([]);

    expect(assignReviewer(db, organizer, reviewer.id, { scope: "proposal", code: a.code })).toMatchObject({ ok: true });
    expect(assignReviewer(db, organizer, reviewer.id, { scope: "proposal", code: own.code })).toMatchObject({ ok: true });
    expect(reviewQueue(db, reviewer).map((q) => q.title.en)).toEqual(["A"]);

    assignAll(db, reviewer.id);
    const queue = reviewQueue(db, reviewer);
    expect(queue.map((q) => [q.title.en, q.reviewed])).toEqual([["A", null]]);
    expect(submitReview(db, reviewer, { code: a.code, abstain: true, comment: "", scores: {} })).toEqual({ ok: true, created: true });
    expect(reviewQueue(db, reviewer).map((q) => q.reviewed)).toEqual(["abstained"]);
  });

  it("by track: only that track's proposals", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const trackId = db.select().from(tracks).get()!.id;
    expect(assignReviewer(db, organizer, reviewer.id, { scope: "track", trackId })).toMatchObject({ ok: true });
    expect(reviewQueue(db, reviewer).map((q) => q.code)).toEqual([p.code]);
  });

  it("excludes a proposal the reviewer created, or is invited to, or speaks on under an unlinked profile with their address", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const unlinked = speakerProfile(db, "RITA@example.org", {}, { linked: false });
    const invited = proposal(db, [ada.id], { title: "Invited" });
    db.insert(proposalInvitations)
      .values({ proposalId: invited.id, email: reviewer.email, tokenHash: "x", invitedBy: organizer.id, sentAt: new Date() })
      .run();
    proposal(db, [unlinked.id], { title: "Unlinked profile" });
    proposal(db, [ada.id], { title: "Created", createdBy: reviewer.id });
    proposal(db, [ada.id], { title: "Fine" });
    assignAll(db, reviewer.id);
    expect(reviewQueue(db, reviewer).map((q) => q.title.en)).toEqual(["Fine"]);
  });
});

describe("an organizer who runs the call", () => {
  it("reviews any submitted proposal without an assignment, never one they speak on", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const mine = speakerProfile(db, organizer.email);
    const open = proposal(db, [ada.id], { title: "Open", submittedAt: new Date("2013-03-01") });
    const own = proposal(db, [mine.id], { title: "Own", submittedAt: new Date("2013-03-02") });
    proposal(db, [ada.id], { title: "Draft", state: "draft" });
    const chair = { ...organizer, everyProposal: true };
    // As a plain reviewer (nothing assigned), nothing; as the one who decides, every proposal but their own.
    expect(reviewQueue(db, organizer)).toEqual([]);
    expect(reviewQueue(db, chair).map((q) => q.title.en)).toEqual(["Open"]);
    expect(reviewerView(db, organizer, open.code)).toEqual({ ok: false, reason: "not_assigned" });
    expect(reviewerView(db, chair, open.code)).toMatchObject({ ok: true, view: { code: open.code } });
    expect(submitReview(db, chair, { code: open.code, abstain: false, comment: "Good", scores: scores(4, 2) })).toEqual({
      ok: true,
      created: true,
    });
    expect(reviewerView(db, chair, own.code)).toEqual({ ok: false, reason: "own_proposal" });
    expect(submitReview(db, chair, { code: own.code, abstain: false, comment: "Mine", scores: scores(5, 3) })).toEqual({
      ok: false,
      reason: "own_proposal",
    });
    expect(
      db
        .select()
        .from(reviews)
        .all()
        .map((r) => r.reviewerId),
    ).toEqual([organizer.id]);
  });
});

describe("own proposals", () => {
  it("cannot be seen nor reviewed, even when assigned directly", () => {
    const mine = speakerProfile(db, reviewer.email);
    const own = proposal(db, [mine.id]);
    assignAll(db, reviewer.id);
    expect(reviewerView(db, reviewer, own.code)).toEqual({ ok: false, reason: "own_proposal" });
    expect(submitReview(db, reviewer, { code: own.code, abstain: false, comment: "Great", scores: scores(5, 3) })).toEqual({
      ok: false,
      reason: "own_proposal",
    });
    expect(db.select().from(reviews).all()).toEqual([]);
  });
});

describe("the reviewer's view", () => {
  it("hides every speaker field when the committee hides names, and shows names (never e-mail nor photo) otherwise", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada Secret", affiliation: "Secret Lab", photo: "ada.jpg" });
    const p = proposal(db, [ada.id]);
    assignAll(db, reviewer.id);
    const hidden = reviewerView(db, reviewer, p.code);
    expect(hidden.ok && hidden.view.speakers).toBeNull();
    expect(hidden.ok && hidden.view.speakerCount).toBe(1);
    const text = JSON.stringify(hidden);
    for (const secret of ["Ada Secret", "Secret Lab", "ada@example.org", "ada.jpg"]) expect(text).not.toContain(secret);

    saveSettings(db, organizer, { hideSpeakerNames: false, othersAfterOwn: true });
    const shown = reviewerView(db, reviewer, p.code);
    expect(shown.ok && shown.view.speakers).toEqual([
      { name: "Ada Secret", affiliation: "Secret Lab", country: "FR", bio: { en: "Works on examples.", fr: "" } },
    ]);
    expect(JSON.stringify(shown)).not.toContain("ada@example.org");
    expect(JSON.stringify(shown)).not.toContain("ada.jpg");
  });

  it("shows others' reviews only after one's own (or an abstention) when the committee says so", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const other = user(db, "otto@example.org", ["reviewer"]);
    assignAll(db, reviewer.id);
    assignAll(db, other.id);
    expect(submitReview(db, other, { code: p.code, abstain: false, comment: "Solid", scores: scores(5, 3) })).toMatchObject({ ok: true });
    const before = reviewerView(db, reviewer, p.code);
    expect(before.ok && before.view.others).toBeNull();
    expect(JSON.stringify(before)).not.toContain("Solid");
    submitReview(db, reviewer, { code: p.code, abstain: true, comment: "", scores: {} });
    const after = reviewerView(db, reviewer, p.code);
    expect(after.ok && after.view.others?.map((r) => [r.reviewer, r.comment, r.total])).toEqual([["#1", "Solid", 100]]);

    saveSettings(db, organizer, { hideSpeakerNames: true, othersAfterOwn: false });
    const third = user(db, "tess@example.org", ["reviewer"]);
    assignAll(db, third.id);
    const open = reviewerView(db, third, p.code);
    expect(open.ok && open.view.others?.length).toBe(2);
  });

  it("never tells a reviewer who the other reviewers are (their addresses are for the organizers)", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const otto = user(db, "otto@example.org", ["reviewer"]);
    const tess = user(db, "tess@example.org", ["reviewer"]);
    for (const r of [reviewer, otto, tess]) assignAll(db, r.id);
    saveSettings(db, organizer, { hideSpeakerNames: false, othersAfterOwn: false });
    submitReview(db, otto, { code: p.code, abstain: false, comment: "Solid", scores: scores(5, 3) });
    submitReview(db, tess, { code: p.code, abstain: true, comment: "Conflict", scores: {} });
    const seen = reviewerView(db, reviewer, p.code);
    expect(seen.ok && seen.view.others?.map((r) => [r.reviewer, r.comment])).toEqual([
      ["#1", "Solid"],
      ["#2", "Conflict"],
    ]);
    expect(JSON.stringify(seen)).not.toMatch(/otto|tess/);
  });

  it("is refused for a proposal not assigned, unknown or a draft", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const draft = proposal(db, [ada.id], { state: "draft" });
    expect(reviewerView(db, reviewer, p.code)).toEqual({ ok: false, reason: "not_assigned" });
    assignAll(db, reviewer.id);
    expect(reviewerView(db, reviewer, draft.code)).toEqual({ ok: false, reason: "not_found" });
    expect(reviewerView(db, reviewer, "NOPE")).toEqual({ ok: false, reason: "not_found" });
  });
});

describe("submitReview", () => {
  it("needs a score within its scale for every criterion, unless abstaining; changes nothing when refused", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    assignAll(db, reviewer.id);
    const audits = () => db.select().from(auditLog).all().length;
    const before = audits();
    expect(submitReview(db, reviewer, { code: p.code, abstain: false, comment: "", scores: { [relevance]: 6, [clarity]: 2 } })).toEqual({
      ok: false,
      reason: { scores: [relevance] },
    });
    expect(submitReview(db, reviewer, { code: p.code, abstain: false, comment: "", scores: { [relevance]: 2 } })).toEqual({
      ok: false,
      reason: { scores: [clarity] },
    });
    expect(submitReview(db, reviewer, { code: p.code, abstain: false, comment: "", scores: { [relevance]: 2.5, [clarity]: 0 } })).toEqual({
      ok: false,
      reason: { scores: [relevance, clarity] },
    });
    expect(submitReview(db, reviewer, { code: p.code, abstain: true, comment: "x".repeat(5001), scores: {} })).toEqual({
      ok: false,
      reason: "too_long",
    });
    expect(db.select().from(reviews).all()).toEqual([]);
    expect(audits()).toBe(before);
  });

  it("keeps one review per reviewer and proposal: a second one replaces the first, audited each time", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    assignAll(db, reviewer.id);
    expect(submitReview(db, reviewer, { code: p.code, abstain: false, comment: "First", scores: scores(4, 2) })).toEqual({
      ok: true,
      created: true,
    });
    expect(submitReview(db, reviewer, { code: p.code, abstain: true, comment: "Conflict of interest", scores: scores(1, 1) })).toEqual({
      ok: true,
      created: false,
    });
    expect(db.select({ abstain: reviews.abstain, comment: reviews.comment }).from(reviews).all()).toEqual([
      { abstain: true, comment: "Conflict of interest" },
    ]);
    expect(db.select().from(reviewScores).all()).toEqual([]);
    // With the others' reviews visible to all anyway, an abstention may become scores again.
    saveSettings(db, organizer, { hideSpeakerNames: true, othersAfterOwn: false });
    expect(submitReview(db, reviewer, { code: p.code, abstain: false, comment: "Back", scores: scores(5, 1) })).toMatchObject({ ok: true });
    expect(db.select({ c: reviewScores.criterionId, s: reviewScores.score }).from(reviewScores).all()).toEqual([
      { c: relevance, s: 5 },
      { c: clarity, s: 1 },
    ]);
    expect(
      db
        .select({ action: auditLog.action })
        .from(auditLog)
        .all()
        .map((a) => a.action)
        .filter((a) => a === "review.create" || a === "review.update"),
    ).toEqual(["review.create", "review.update", "review.update"]);
  });

  it("keeps an abstention that showed the others' reviews: it cannot become scores, the comment may change", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    assignAll(db, reviewer.id);
    expect(submitReview(db, reviewer, { code: p.code, abstain: true, comment: "", scores: {} })).toMatchObject({ ok: true });
    expect(submitReview(db, reviewer, { code: p.code, abstain: false, comment: "Now I know", scores: scores(5, 3) })).toEqual({
      ok: false,
      reason: "abstention_final",
    });
    expect(db.select({ abstain: reviews.abstain, comment: reviews.comment }).from(reviews).all()).toEqual([{ abstain: true, comment: "" }]);
    expect(submitReview(db, reviewer, { code: p.code, abstain: true, comment: "Conflict of interest", scores: {} })).toMatchObject({
      ok: true,
    });
  });

  it("is closed once the proposal is no longer submitted", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id], { state: "accepted" });
    assignAll(db, reviewer.id);
    expect(submitReview(db, reviewer, { code: p.code, abstain: true, comment: "", scores: {} })).toEqual({ ok: false, reason: "closed" });
  });
});
