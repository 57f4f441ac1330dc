import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, cfpTokens, outbox, proposalInvitations, proposals } from "../../../db/schema/index.ts";
import { assignAll, criterion, proposal, speakerProfile, user, withoutDefaultCriterion } from "../../../tests/fixtures/cfp.ts";
import { confirmToken, tokenHash } from "../cfp/links.ts";
import { cancelHeldMessage, heldDigest, heldMessageIds, listOutbox, retryMessage, sendHeldMessages } from "../email/admin.ts";
import { claimNext, HELD_UNTIL } from "../email/outbox.ts";
import { renderEmail } from "../email/templates.ts";
import { loadEdition } from "../config/edition.ts";
import {
  listProposals,
  messageSpeakers,
  parseProposalQuery,
  pendingCounts,
  pendingDigest,
  proposalDetail,
  releaseDecisions,
  setPendingDecisions,
} from "./decisions.ts";
import { submitReview } from "./reviewing.ts";
import { myProposals } from "../cfp/view.ts";

let db: Db;
const appKey = randomBytes(32);
const organizer = { id: 0, email: "organizer@example.org" };
const query = (params: Record<string, string> = {}) => parseProposalQuery(new URLSearchParams(params));
const stateOf = (code: string) =>
  db.select({ state: proposals.state, pending: proposals.pendingState }).from(proposals).where(eq(proposals.code, code)).get();

beforeEach(() => {
  db = openDatabase(":memory:");
  organizer.id = user(db, organizer.email, ["organizer"]).id;
  // These tests score on the criteria each sets up.
  withoutDefaultCriterion(db);
});

describe("pending decisions", () => {
  it("are set, changed and cleared on submitted proposals only, all or none, audited", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const a = proposal(db, [ada.id]);
    const b = proposal(db, [ada.id]);
    const accepted = proposal(db, [ada.id], { state: "accepted" });
    expect(setPendingDecisions(db, organizer, [a.code, b.code], "accepted")).toEqual({ ok: true, count: 2 });
    expect(setPendingDecisions(db, organizer, [b.code], "rejected")).toEqual({ ok: true, count: 1 });
    expect(pendingCounts(db)).toEqual({ accepted: 1, rejected: 1, total: 2 });
    expect(setPendingDecisions(db, organizer, [a.code, accepted.code], null)).toEqual({
      ok: false,
      reason: "not_submitted",
      code: accepted.code,
    });
    expect(stateOf(a.code)).toEqual({ state: "submitted", pending: "accepted" });
    expect(setPendingDecisions(db, organizer, ["NOPE"], null)).toEqual({ ok: false, reason: "not_found", code: "NOPE" });
    expect(setPendingDecisions(db, organizer, [a.code], null)).toEqual({ ok: true, count: 1 });
    expect(stateOf(a.code)).toEqual({ state: "submitted", pending: null });
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action === "proposal.pending_decision"),
    ).toHaveLength(4);
  });
});

describe("the committee's words with a rejection", () => {
  it("are kept with the pending rejection, dropped with an acceptance, and sent only in the rejection e-mail", async () => {
    const ada = speakerProfile(db, "ada@example.org");
    const no = proposal(db, [ada.id]);
    const yes = proposal(db, [ada.id]);
    setPendingDecisions(db, organizer, [yes.code], "accepted", { reason: "Never sent" });
    setPendingDecisions(db, organizer, [no.code], "rejected", { reason: "  Too many strong proposals this year.  " });
    const reasons = () => db.select({ code: proposals.code, reason: proposals.decisionReason }).from(proposals).all();
    expect(reasons()).toEqual([
      { code: no.code, reason: "Too many strong proposals this year." },
      { code: yes.code, reason: "" },
    ]);
    expect(releaseDecisions(db, appKey, organizer, pendingDigest(db))).toMatchObject({ ok: true });
    const rejected = db.select().from(outbox).where(eq(outbox.template, "cfp.rejected")).get()!;
    expect(rejected.payload).toMatchObject({ reason: "Too many strong proposals this year." });
    const accepted = db.select().from(outbox).where(eq(outbox.template, "cfp.accepted")).get()!;
    expect(JSON.stringify(accepted.payload)).not.toContain("Never sent");
    const email = await renderEmail(rejected, { edition: loadEdition(), siteUrl: "https://forum.example", appKey });
    expect(email.text).toContain("Too many strong proposals this year.");
  });
});

describe("an organizer who speaks on a proposal", () => {
  it("cannot decide it, alone or among others, and nothing changes", () => {
    const own = speakerProfile(db, organizer.email);
    const ada = speakerProfile(db, "ada@example.org");
    const theirs = proposal(db, [ada.id]);
    const mine = proposal(db, [ada.id, own.id]);
    expect(setPendingDecisions(db, organizer, [theirs.code, mine.code], "accepted")).toEqual({
      ok: false,
      reason: "own_proposal",
      code: mine.code,
    });
    expect([stateOf(theirs.code)?.pending, stateOf(mine.code)?.pending]).toEqual([null, null]);
    const colleague = user(db, "colleague@example.org", ["organizer"]);
    expect(setPendingDecisions(db, colleague, [theirs.code, mine.code], "accepted")).toEqual({ ok: true, count: 2 });
  });

  it("does not see its reviews nor its score; another organizer does", () => {
    const own = speakerProfile(db, organizer.email);
    const mine = proposal(db, [own.id]);
    const rita = user(db, "rita@example.org", ["reviewer"]);
    criterion(db, { nameEn: "Relevance", scaleMin: 0, scaleMax: 5 });
    assignAll(db, rita.id);
    const [c] = db.$client.prepare("select id from review_criteria").all() as { id: number }[];
    expect(submitReview(db, rita, { code: mine.code, abstain: false, comment: "Weak", scores: { [c.id]: 1 } })).toMatchObject({ ok: true });
    const mineSeen = proposalDetail(db, mine.code, organizer)!;
    expect([mineSeen.own, mineSeen.reviews, mineSeen.score.count]).toEqual([true, [], 0]);
    const colleague = user(db, "colleague@example.org", ["organizer"]);
    const theirs = proposalDetail(db, mine.code, colleague)!;
    expect([theirs.own, theirs.reviews.map((r) => r.comment), theirs.score.count]).toEqual([false, ["Weak"], 1]);
    const listed = (viewer: { id: number; email: string }) =>
      listProposals(db, query(), viewer).find((p) => p.code === mine.code)!.score.count;
    expect([listed(organizer), listed(colleague)]).toEqual([0, 1]);
  });
});

describe("a pending decision, to the speakers", () => {
  it("leaves no trace on what they see until it is released (not even the proposal's time of update)", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const seen = () => myProposals(db, ada.userId!);
    const before = seen();
    setPendingDecisions(db, organizer, [p.code], "rejected", { now: Date.now() + 60_000 });
    setPendingDecisions(db, organizer, [p.code], "accepted", { now: Date.now() + 120_000 });
    expect(seen()).toEqual(before);
  });
});

describe("releasing decisions", () => {
  it("moves every pending decision in one go and queues one HELD e-mail per speaker, with a confirmation link for the accepted", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada", language: "fr" });
    const bob = speakerProfile(db, "bob@example.org", { name: "Bob" });
    const yes = proposal(db, [ada.id, bob.id], { title: "Yes" });
    const no = proposal(db, [bob.id], { title: "No" });
    const undecided = proposal(db, [ada.id], { title: "Later" });
    setPendingDecisions(db, organizer, [yes.code], "accepted");
    setPendingDecisions(db, organizer, [no.code], "rejected");

    expect(releaseDecisions(db, appKey, organizer, "stale")).toEqual({ ok: false, reason: "count_changed", count: 2 });
    expect(stateOf(yes.code)!.state).toBe("submitted");
    expect(releaseDecisions(db, appKey, organizer, pendingDigest(db), Date.parse("2013-05-01T10:00:00Z"))).toEqual({
      ok: true,
      accepted: 1,
      rejected: 1,
      messages: 3,
    });
    expect([stateOf(yes.code), stateOf(no.code), stateOf(undecided.code)]).toEqual([
      { state: "accepted", pending: null },
      { state: "rejected", pending: null },
      { state: "submitted", pending: null },
    ]);

    const mail = db.select().from(outbox).all();
    expect(mail.map((m) => [m.template, m.recipient, m.language, m.state, m.nextAttemptAt.getTime()]).sort()).toEqual(
      [
        ["cfp.accepted", "ada@example.org", "fr", "pending", HELD_UNTIL.getTime()],
        ["cfp.accepted", "bob@example.org", "en", "pending", HELD_UNTIL.getTime()],
        ["cfp.rejected", "bob@example.org", "en", "pending", HELD_UNTIL.getTime()],
      ].sort(),
    );
    // The worker finds nothing due: the messages wait for an organizer.
    expect(claimNext(db, { now: Date.now(), leaseMs: 60_000 })).toBeUndefined();
    expect(listOutbox(db, { state: "held", q: "", page: 1 }).total).toBe(3);

    // One confirmation token for the accepted proposal; the e-mails carry its nonce, the table its hash.
    const accepted = mail.filter((m) => m.template === "cfp.accepted");
    const nonce = (accepted[0]!.payload as { nonce: string }).nonce;
    expect((accepted[1]!.payload as { nonce: string }).nonce).toBe(nonce);
    expect(accepted[0]!.payload).toMatchObject({ title: "Yes", code: yes.code });
    const tokens = db.select().from(cfpTokens).all();
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ purpose: "confirm", tokenHash: tokenHash(confirmToken(appKey, nonce)), email: "ada@example.org" });
    expect(tokens[0]!.expiresAt.getTime()).toBe(Date.parse("2013-05-01T10:00:00Z") + 60 * 86_400_000);
    expect(JSON.stringify(mail)).not.toContain(confirmToken(appKey, nonce));

    expect(releaseDecisions(db, appKey, organizer, pendingDigest(db))).toEqual({ ok: false, reason: "nothing", count: 0 });
  });

  it("queues payloads the e-mail templates render, the acceptance with its confirmation link", async () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada", language: "fr" });
    const yes = proposal(db, [ada.id], { title: "Yes" });
    const no = proposal(db, [ada.id], { title: "No" });
    setPendingDecisions(db, organizer, [yes.code], "accepted");
    setPendingDecisions(db, organizer, [no.code], "rejected");
    releaseDecisions(db, appKey, organizer, pendingDigest(db));
    const ctx = { edition: loadEdition(), siteUrl: "https://forum.example", appKey };
    for (const row of db.select().from(outbox).all()) {
      const rendered = await renderEmail(row, ctx);
      if (row.template === "cfp.accepted") {
        const token = confirmToken(appKey, (row.payload as { nonce: string }).nonce);
        expect(rendered.text).toContain(`https://forum.example/fr/cfp/confirm/${token}`);
      }
      expect(rendered.text).toContain(row.template === "cfp.accepted" ? "Yes" : "No");
    }
  });

  it("never lets a proposal get both an acceptance and a rejection message", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    setPendingDecisions(db, organizer, [p.code], "accepted");
    releaseDecisions(db, appKey, organizer, pendingDigest(db));
    // A released decision is final: it cannot be changed, so nothing is left to release.
    expect(setPendingDecisions(db, organizer, [p.code], "rejected")).toEqual({ ok: false, reason: "not_submitted", code: p.code });
    expect(releaseDecisions(db, appKey, organizer, pendingDigest(db))).toEqual({ ok: false, reason: "nothing", count: 0 });
    // Even if the state were forced back by hand, a second decision e-mail is refused and nothing changes.
    db.update(proposals).set({ state: "submitted", pendingState: "rejected" }).where(eq(proposals.id, p.id)).run();
    expect(() => releaseDecisions(db, appKey, organizer, pendingDigest(db))).toThrow(/already has a decision e-mail/);
    expect(db.select({ t: outbox.template }).from(outbox).all()).toEqual([{ t: "cfp.accepted" }]);
    expect(stateOf(p.code)).toEqual({ state: "submitted", pending: "rejected" });
  });

  it("held messages go when an organizer sends them, or are cancelled one by one, audited", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const bob = speakerProfile(db, "bob@example.org");
    setPendingDecisions(db, organizer, [proposal(db, [ada.id]).code], "accepted");
    setPendingDecisions(db, organizer, [proposal(db, [bob.id]).code], "rejected");
    releaseDecisions(db, appKey, organizer, pendingDigest(db));
    const [first, second] = db.select().from(outbox).all();
    expect(cancelHeldMessage(db, organizer, first!.id)).toEqual({ ok: true });
    expect(cancelHeldMessage(db, organizer, first!.id)).toEqual({ ok: false, reason: "not_held" });
    expect(cancelHeldMessage(db, organizer, "00000000-0000-0000-0000-000000000000")).toEqual({ ok: false, reason: "not_found" });
    expect(sendHeldMessages(db, organizer, { all: heldDigest([second!.id]) }, 1_000)).toEqual({ ok: true, sent: 1 });
    expect(sendHeldMessages(db, organizer, { all: heldDigest([second!.id]) }, 1_000)).toEqual({ ok: false, reason: "not_held", count: 0 });
    const after = db.select().from(outbox).all();
    // Cancelled, not failed: the ordinary retry must never send it.
    expect(after.find((m) => m.id === first!.id)).toMatchObject({
      state: "cancelled",
      lastError: "Cancelled before sending by organizer@example.org",
    });
    expect(retryMessage(db, organizer, first!.id, 1_000)).toEqual({ ok: false, reason: "cancelled" });
    expect(db.select().from(outbox).where(eq(outbox.id, first!.id)).get()).toMatchObject({ state: "cancelled" });
    expect(listOutbox(db, { state: "cancelled", q: "", page: 1 }).rows.map((r) => r.id)).toEqual([first!.id]);
    expect(after.find((m) => m.id === second!.id)).toMatchObject({ state: "pending", nextAttemptAt: new Date(1_000) });
    expect(claimNext(db, { now: 2_000, leaseMs: 60_000 })?.id).toBe(second!.id);
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action.startsWith("mail."))
        .map((e) => e.action),
    ).toEqual(["mail.cancel_held", "mail.release_held"]);
  });
});

describe("confirmations that must match what the organizer saw", () => {
  it("a release is refused when the pending decisions changed, even if their number did not", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const a = proposal(db, [ada.id]);
    const b = proposal(db, [ada.id]);
    setPendingDecisions(db, organizer, [a.code], "accepted");
    const shown = pendingDigest(db);
    // Another organizer clears that one and sets another: still one pending decision.
    setPendingDecisions(db, organizer, [a.code], null);
    setPendingDecisions(db, organizer, [b.code], "accepted");
    expect(releaseDecisions(db, appKey, organizer, shown)).toEqual({ ok: false, reason: "count_changed", count: 1 });
    // Turning a decision changes it too.
    const again = pendingDigest(db);
    setPendingDecisions(db, organizer, [b.code], "rejected");
    expect(releaseDecisions(db, appKey, organizer, again)).toMatchObject({ ok: false, reason: "count_changed" });
    expect([stateOf(a.code), stateOf(b.code)]).toEqual([
      { state: "submitted", pending: null },
      { state: "submitted", pending: "rejected" },
    ]);
    expect(db.select().from(outbox).all()).toEqual([]);
    expect(releaseDecisions(db, appKey, organizer, pendingDigest(db))).toMatchObject({ ok: true, rejected: 1 });
  });

  it("sending every held message is refused when messages were held since the page was shown", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const bob = speakerProfile(db, "bob@example.org");
    setPendingDecisions(db, organizer, [proposal(db, [ada.id]).code], "accepted");
    releaseDecisions(db, appKey, organizer, pendingDigest(db));
    const shown = heldDigest(heldMessageIds(db));
    // Meanwhile another organizer releases another decision: its e-mail is held too.
    setPendingDecisions(db, organizer, [proposal(db, [bob.id]).code], "rejected");
    releaseDecisions(db, appKey, organizer, pendingDigest(db));
    expect(sendHeldMessages(db, organizer, { all: shown }, 1_000)).toEqual({ ok: false, reason: "changed", count: 2 });
    expect(heldMessageIds(db)).toHaveLength(2);
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action === "mail.release_held"),
    ).toEqual([]);
    expect(sendHeldMessages(db, organizer, { all: heldDigest(heldMessageIds(db)) }, 1_000)).toEqual({ ok: true, sent: 2 });
  });
});

describe("a reviewer who becomes a speaker", () => {
  it("no longer has their review counted in the score; the organizers see it marked", () => {
    const rita = user(db, "rita@example.org", ["reviewer"]);
    const otto = user(db, "otto@example.org", ["reviewer"]);
    assignAll(db, rita.id);
    assignAll(db, otto.id);
    const c = criterion(db, { scaleMin: 0, scaleMax: 4 });
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    submitReview(db, rita, { code: p.code, abstain: false, comment: "", scores: { [c]: 4 } });
    submitReview(db, otto, { code: p.code, abstain: false, comment: "", scores: { [c]: 2 } });
    expect(listProposals(db, query())[0]!.score).toMatchObject({ mean: 75, count: 2 });
    // Rita accepts a co-speaker invitation after reviewing (her address in another case).
    db.insert(proposalInvitations)
      .values({
        proposalId: p.id,
        email: "Rita@Example.org",
        tokenHash: "h",
        state: "accepted",
        invitedBy: organizer.id,
        sentAt: new Date(),
      })
      .run();
    expect(listProposals(db, query())[0]!.score).toMatchObject({ mean: 50, count: 1 });
    const detail = proposalDetail(db, p.code, organizer)!;
    expect(detail.score).toMatchObject({ mean: 50, count: 1 });
    expect(detail.reviews.map((r) => [r.reviewer, r.nowSpeaker])).toEqual([
      ["rita@example.org", true],
      ["otto@example.org", false],
    ]);
  });
});

describe("the organizers' list", () => {
  it("shows each proposal's score, filters by decision, score range and accent-insensitive text, sorts by score", () => {
    const reviewer = user(db, "rita@example.org", ["reviewer"]);
    const other = user(db, "otto@example.org", ["reviewer"]);
    assignAll(db, reviewer.id);
    assignAll(db, other.id);
    const c = criterion(db, { scaleMin: 0, scaleMax: 4 });
    const ada = speakerProfile(db, "ada@example.org", { name: "Élodie Martin" });
    const high = proposal(db, [ada.id], { title: "Réseaux résilients" });
    const low = proposal(db, [ada.id], { title: "Phishing kits" });
    const none = proposal(db, [ada.id], { title: "Unscored" });
    proposal(db, [ada.id], { title: "Draft", state: "draft" });
    submitReview(db, reviewer, { code: high.code, abstain: false, comment: "", scores: { [c]: 4 } });
    submitReview(db, other, { code: high.code, abstain: false, comment: "", scores: { [c]: 3 } });
    submitReview(db, reviewer, { code: low.code, abstain: false, comment: "", scores: { [c]: 1 } });
    submitReview(db, other, { code: low.code, abstain: true, comment: "", scores: {} });
    setPendingDecisions(db, organizer, [high.code], "accepted");

    const all = listProposals(db, query({ sort: "mean", dir: "desc" }));
    expect(all.map((p) => [p.title.en, p.score])).toEqual([
      ["Réseaux résilients", { mean: 87.5, median: 87.5, count: 2, spread: 25, abstentions: 0 }],
      ["Phishing kits", { mean: 25, median: 25, count: 1, spread: 0, abstentions: 1 }],
      ["Unscored", { mean: null, median: null, count: 0, spread: null, abstentions: 0 }],
    ]);
    expect(listProposals(db, query({ sort: "mean" })).map((p) => p.title.en)).toEqual(["Phishing kits", "Réseaux résilients", "Unscored"]);
    expect(listProposals(db, query({ decision: "accepted" })).map((p) => p.code)).toEqual([high.code]);
    expect(
      listProposals(db, query({ decision: "none" }))
        .map((p) => p.code)
        .sort(),
    ).toEqual([low.code, none.code].sort());
    expect(listProposals(db, query({ min: "50" })).map((p) => p.code)).toEqual([high.code]);
    expect(listProposals(db, query({ min: "20", max: "30" })).map((p) => p.code)).toEqual([low.code]);
    expect(listProposals(db, query({ q: "RESEAUX" })).map((p) => p.code)).toEqual([high.code]);
    // The French title and abstract are searched too.
    db.update(proposals).set({ titleFr: "Hameçonnage en kit" }).where(eq(proposals.code, low.code)).run();
    expect(listProposals(db, query({ q: "hameconnage" })).map((p) => p.code)).toEqual([low.code]);
    expect(listProposals(db, query({ q: "elodie" })).length).toBe(3);
    expect(listProposals(db, query({ state: "draft" })).length).toBe(3);
  });
});

describe("messages to speakers", () => {
  it("are kept with the proposal and e-mailed to each speaker at once", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const bob = speakerProfile(db, "bob@example.org", { language: "fr" });
    const p = proposal(db, [ada.id, bob.id]);
    expect(messageSpeakers(db, organizer, p.code, "  ")).toEqual({ ok: false, reason: "empty" });
    expect(messageSpeakers(db, organizer, p.code, "Please shorten the abstract.")).toEqual({ ok: true, recipients: 2 });
    expect(db.select({ r: outbox.recipient, l: outbox.language, t: outbox.template, d: outbox.nextAttemptAt }).from(outbox).all()).toEqual([
      { r: "ada@example.org", l: "en", t: "cfp.message", d: expect.any(Date) },
      { r: "bob@example.org", l: "fr", t: "cfp.message", d: expect.any(Date) },
    ]);
    expect(listOutbox(db, { state: "held", q: "", page: 1 }).total).toBe(0);
  });
});
