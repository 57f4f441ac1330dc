import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, cfpTokens, outbox, proposals, sessions, sessionSpeakers } from "../../../db/schema/index.ts";
import { proposal, speakerProfile, user } from "../../../tests/fixtures/cfp.ts";
import { confirmToken } from "../cfp/links.ts";
import { isHeld } from "../email/outbox.ts";
import { loadProgramme } from "../programme/queries.ts";
import { answerAcceptance, answerConfirmation, lookupConfirmation } from "./confirm.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "./decisions.ts";

let db: Db;
const appKey = randomBytes(32);
const organizer = { id: 0, email: "organizer@example.org" };

beforeEach(() => {
  db = openDatabase(":memory:");
  organizer.id = user(db, organizer.email, ["organizer"]).id;
});

/** Accepts proposal `code`, releases, and returns the confirmation token of its e-mail. */
function acceptAndRelease(code: string, now = Date.now()): string {
  setPendingDecisions(db, organizer, [code], "accepted");
  expect(releaseDecisions(db, appKey, organizer, pendingDigest(db), now)).toMatchObject({ ok: true });
  const row = db
    .select()
    .from(outbox)
    .all()
    .find((m) => (m.payload as { code: string }).code === code)!;
  return confirmToken(appKey, (row.payload as { nonce: string }).nonce);
}

describe("confirmation by the accepted speaker", () => {
  it("a restricted session's title stays hidden from those who may not see it until an organizer chooses to show it", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada" });
    const restricted = proposal(db, [ada.id], { title: "Operation Example: inside the takedown", audience: "law-enforcement" });
    const registered = proposal(db, [ada.id], { title: "For attendees", audience: "registered" });
    const open = proposal(db, [ada.id], { title: "For everyone", audience: "public" });
    setPendingDecisions(db, organizer, [restricted.code, registered.code, open.code], "accepted");
    expect(releaseDecisions(db, appKey, organizer, pendingDigest(db))).toMatchObject({ ok: true, accepted: 3 });
    for (const m of db.select().from(outbox).all())
      answerConfirmation(db, confirmToken(appKey, (m.payload as { nonce: string }).nonce), "confirm");
    const titlePublic = Object.fromEntries(
      db
        .select({ title: sessions.titleEn, titlePublic: sessions.titlePublic })
        .from(sessions)
        .all()
        .filter((s) => [restricted.title, registered.title, open.title].includes(s.title))
        .map((s) => [s.title, s.titlePublic]),
    );
    expect(titlePublic).toEqual({ [restricted.title]: false, [registered.title]: false, [open.title]: true });
  });

  it("confirm: the proposal is confirmed and becomes an unscheduled published session with its speakers in order", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada" });
    const bob = speakerProfile(db, "bob@example.org", { name: "Bob" });
    const cy = speakerProfile(db, "cy@example.org", { name: "Cy" });
    // In French, with an English translation of the title and the abstract.
    const p = proposal(db, [bob.id, ada.id, cy.id], {
      title: "Detecting ransomware: early!",
      titleFr: "Détecter le rançongiciel : tôt !",
      abstractFr: "Des signaux précoces dans le trafic réseau révèlent une attaque.",
      descriptionFr: "Une description plus longue.",
      description: "",
      language: "fr",
      audience: "law-enforcement",
      tlp: "AMBER",
    });
    const token = acceptAndRelease(p.code);
    expect(lookupConfirmation(db, token)).toEqual({
      ok: true,
      code: p.code,
      title: { en: "Detecting ransomware: early!", fr: "Détecter le rançongiciel : tôt !" },
      state: "accepted",
      sessionSlug: null,
    });

    const result = answerConfirmation(db, token, "confirm");
    // The slug comes from the English title when there is one.
    expect(result).toEqual({ ok: true, state: "confirmed", already: false, sessionSlug: "detecting-ransomware-early" });
    const session = db.select().from(sessions).where(eq(sessions.slug, "detecting-ransomware-early")).get()!;
    expect(session).toMatchObject({
      titleEn: "Detecting ransomware: early!",
      titleFr: "Détecter le rançongiciel : tôt !",
      abstractEn: "How early signals in network traffic reveal an attack.",
      abstractFr: "Des signaux précoces dans le trafic réseau révèlent une attaque.",
      descriptionEn: "",
      descriptionFr: "Une description plus longue.",
      language: "fr",
      audience: "law-enforcement",
      tlp: "AMBER",
      state: "confirmed",
      published: true,
      startsAt: null,
      endsAt: null,
      roomId: null,
    });
    expect(
      db
        .select({ id: sessionSpeakers.speakerId, position: sessionSpeakers.position })
        .from(sessionSpeakers)
        .where(eq(sessionSpeakers.sessionId, session.id))
        .orderBy(sessionSpeakers.position)
        .all(),
    ).toEqual([
      { id: bob.id, position: 0 },
      { id: ada.id, position: 1 },
      { id: cy.id, position: 2 },
    ]);
    expect(
      db.select({ state: proposals.state, sessionId: proposals.sessionId }).from(proposals).where(eq(proposals.id, p.id)).get(),
    ).toEqual({
      state: "confirmed",
      sessionId: session.id,
    });
    // What the programme editor reads: the session, unscheduled, speakers in order.
    const inEditor = loadProgramme(db).sessions.find((s) => s.slug === session.slug)!;
    expect(inEditor).toMatchObject({ startsAt: null, room: null, state: "confirmed", speakerIds: [bob.id, ada.id, cy.id] });

    // A second click says it was done, and changes nothing; declining afterwards does not undo it.
    const sessionsBefore = db.select().from(sessions).all().length;
    expect(answerConfirmation(db, token, "confirm")).toEqual({ ok: true, state: "confirmed", already: true, sessionSlug: session.slug });
    expect(answerConfirmation(db, token, "decline")).toEqual({ ok: true, state: "confirmed", already: true, sessionSlug: session.slug });
    expect(db.select().from(sessions).all().length).toBe(sessionsBefore);
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action === "proposal.confirmed"),
    ).toHaveLength(1);
  });

  it("decline: the proposal is declined and no session is made", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const token = acceptAndRelease(p.code);
    const before = db.select().from(sessions).all().length;
    expect(answerConfirmation(db, token, "decline")).toEqual({ ok: true, state: "declined", already: false, sessionSlug: null });
    expect(answerConfirmation(db, token, "confirm")).toEqual({ ok: true, state: "declined", already: true, sessionSlug: null });
    expect(db.select().from(sessions).all().length).toBe(before);
    expect(
      db.select({ state: proposals.state, sessionId: proposals.sessionId }).from(proposals).where(eq(proposals.id, p.id)).get(),
    ).toEqual({ state: "declined", sessionId: null });
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action === "proposal.declined"),
    ).toHaveLength(1);
  });

  it("refuses an unknown, malformed or expired link", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const token = acceptAndRelease(p.code, Date.parse("2013-01-01T00:00:00Z"));
    expect(answerConfirmation(db, token, "confirm", Date.parse("2013-12-31T00:00:00Z"))).toEqual({ ok: false, reason: "expired" });
    expect(answerConfirmation(db, "x".repeat(43), "confirm")).toEqual({ ok: false, reason: "unknown" });
    expect(answerConfirmation(db, "<script>", "confirm")).toEqual({ ok: false, reason: "unknown" });
    expect(db.select({ state: proposals.state }).from(proposals).where(eq(proposals.id, p.id)).get()!.state).toBe("accepted");
  });
});

describe("answer from the proposal's page by a signed-in speaker", () => {
  /** Everything an answer may change. */
  const snapshot = () => ({
    proposals: db.select({ code: proposals.code, state: proposals.state, sessionId: proposals.sessionId }).from(proposals).all(),
    sessions: db.select({ slug: sessions.slug }).from(sessions).all(),
    sessionSpeakers: db.select().from(sessionSpeakers).all().length,
    tokens: db.select({ usedAt: cfpTokens.usedAt }).from(cfpTokens).all(),
    audit: db.select({ id: auditLog.id }).from(auditLog).all().length,
    outbox: db.select({ id: outbox.id }).from(outbox).all().length,
  });
  const tokensOf = (id: number) =>
    db
      .select({ usedAt: cfpTokens.usedAt })
      .from(cfpTokens)
      .where(eq(cfpTokens.proposalId, id))
      .all()
      .map((t) => t.usedAt?.getTime() ?? null);

  it("confirm: exactly one session, speakers in order, the link spent, audited in the speaker's name", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada" });
    const bob = speakerProfile(db, "bob@example.org", { name: "Bob" });
    const p = proposal(db, [bob.id, ada.id], { title: "Tracing ransomware payments" });
    acceptAndRelease(p.code);
    const sessionsBefore = db.select().from(sessions).all().length;
    const now = Date.parse("2013-05-02T10:00:00Z");

    const result = answerAcceptance(db, { id: bob.userId!, email: "bob@example.org" }, p.code, "confirm", now);
    expect(result).toEqual({ ok: true, state: "confirmed", already: false, sessionSlug: "tracing-ransomware-payments" });
    expect(db.select().from(sessions).all().length).toBe(sessionsBefore + 1);
    const session = db.select().from(sessions).where(eq(sessions.slug, "tracing-ransomware-payments")).get()!;
    expect(session).toMatchObject({ titleEn: p.title, titleFr: "", state: "confirmed", published: true, startsAt: null, roomId: null });
    expect(
      db
        .select({ id: sessionSpeakers.speakerId })
        .from(sessionSpeakers)
        .where(eq(sessionSpeakers.sessionId, session.id))
        .orderBy(sessionSpeakers.position)
        .all(),
    ).toEqual([{ id: bob.id }, { id: ada.id }]);
    expect(
      db.select({ state: proposals.state, sessionId: proposals.sessionId }).from(proposals).where(eq(proposals.id, p.id)).get(),
    ).toEqual({
      state: "confirmed",
      sessionId: session.id,
    });
    expect(tokensOf(p.id)).toEqual([now]);
    expect(
      db
        .select({ actorId: auditLog.actorId, actorEmail: auditLog.actorEmail, subjectId: auditLog.subjectId, after: auditLog.after })
        .from(auditLog)
        .where(eq(auditLog.action, "proposal.confirmed"))
        .all(),
    ).toEqual([
      { actorId: bob.userId, actorEmail: "bob@example.org", subjectId: p.code, after: { state: "confirmed", session: session.slug } },
    ]);
  });

  it("a co-speaker may confirm, and the e-mail's link afterwards says it was already done", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const cy = speakerProfile(db, "cy@example.org");
    const p = proposal(db, [ada.id, cy.id]);
    const token = acceptAndRelease(p.code);
    const result = answerAcceptance(db, { id: cy.userId!, email: "cy@example.org" }, p.code, "confirm");
    expect(result).toMatchObject({ ok: true, state: "confirmed", already: false });
    const slug = (result as { sessionSlug: string }).sessionSlug;
    const after = snapshot();
    expect(lookupConfirmation(db, token)).toEqual({
      ok: true,
      code: p.code,
      title: { en: p.title, fr: "" },
      state: "confirmed",
      sessionSlug: slug,
    });
    expect(answerConfirmation(db, token, "decline")).toEqual({ ok: true, state: "confirmed", already: true, sessionSlug: slug });
    expect(snapshot()).toEqual(after);
  });

  it("decline: declined, no session, the link spent", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const token = acceptAndRelease(p.code);
    const sessionsBefore = db.select().from(sessions).all().length;
    expect(answerAcceptance(db, { id: ada.userId!, email: "ada@example.org" }, p.code, "decline")).toEqual({
      ok: true,
      state: "declined",
      already: false,
      sessionSlug: null,
    });
    expect(db.select().from(sessions).all().length).toBe(sessionsBefore);
    expect(
      db.select({ state: proposals.state, sessionId: proposals.sessionId }).from(proposals).where(eq(proposals.id, p.id)).get(),
    ).toEqual({
      state: "declined",
      sessionId: null,
    });
    expect(tokensOf(p.id).every((at) => at !== null)).toBe(true);
    expect(answerConfirmation(db, token, "confirm")).toEqual({ ok: true, state: "declined", already: true, sessionSlug: null });
  });

  it("a second answer reports the first and changes nothing", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    acceptAndRelease(p.code);
    const account = { id: ada.userId!, email: "ada@example.org" };
    const first = answerAcceptance(db, account, p.code, "confirm");
    const after = snapshot();
    expect(answerAcceptance(db, account, p.code, "confirm")).toEqual({ ...first, already: true });
    expect(answerAcceptance(db, account, p.code, "decline")).toEqual({ ...first, already: true });
    expect(snapshot()).toEqual(after);
  });

  it("refuses someone who is not a speaker of the proposal, and an unknown code, as not found; nothing changes", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    acceptAndRelease(p.code);
    // Mallory has a speaker profile of her own, and an organizer's account is no speaker either.
    const mallory = speakerProfile(db, "mallory@example.org");
    proposal(db, [mallory.id]);
    const before = snapshot();
    for (const account of [{ id: mallory.userId!, email: "mallory@example.org" }, organizer])
      for (const answer of ["confirm", "decline"] as const)
        expect(answerAcceptance(db, account, p.code, answer)).toEqual({ ok: false, reason: "notFound" });
    expect(answerAcceptance(db, { id: ada.userId!, email: "ada@example.org" }, "NOSUCHCODE", "confirm")).toEqual({
      ok: false,
      reason: "notFound",
    });
    expect(snapshot()).toEqual(before);
  });

  it("refuses a proposal that is not accepted (submitted, rejected, withdrawn); nothing changes", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const account = { id: ada.userId!, email: "ada@example.org" };
    const codes = (["submitted", "rejected", "withdrawn", "draft"] as const).map((state) => proposal(db, [ada.id], { state }).code);
    // A decision taken but not released is not an acceptance the speaker may answer.
    const pending = proposal(db, [ada.id]);
    setPendingDecisions(db, organizer, [pending.code], "accepted");
    const before = snapshot();
    for (const code of [...codes, pending.code])
      expect(answerAcceptance(db, account, code, "confirm"), code).toEqual({ ok: false, reason: "invalidState" });
    expect(snapshot()).toEqual(before);
  });
});

describe("the speakers are told of the answer", () => {
  /** The outbox rows of the answers: who, what, in which language, with which payload. */
  const told = () =>
    db
      .select()
      .from(outbox)
      .all()
      .filter((m) => m.template === "cfp.confirmed" || m.template === "cfp.declined")
      .map((m) => ({ recipient: m.recipient, template: m.template, language: m.language, payload: m.payload, held: isHeld(m) }));
  const outboxSize = () => db.select({ id: outbox.id }).from(outbox).all().length;

  it("confirmed by the link: every speaker, in their own language (the title too), is told the session will be scheduled", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada", language: "fr" });
    const bob = speakerProfile(db, "bob@example.org", { name: "Bob" });
    const p = proposal(db, [bob.id, ada.id], { title: "Tracing ransomware payments", titleFr: "Suivre les rançons" });
    const token = acceptAndRelease(p.code);
    expect(answerConfirmation(db, token, "confirm")).toMatchObject({ ok: true, state: "confirmed", already: false });
    expect(told()).toEqual([
      {
        recipient: "bob@example.org",
        template: "cfp.confirmed",
        language: "en",
        payload: { name: "Bob", title: "Tracing ransomware payments", code: p.code },
        held: false,
      },
      {
        recipient: "ada@example.org",
        template: "cfp.confirmed",
        language: "fr",
        payload: { name: "Ada", title: "Suivre les rançons", code: p.code },
        held: false,
      },
    ]);
    // A second answer changes nothing, and tells nobody again.
    const size = outboxSize();
    expect(answerConfirmation(db, token, "confirm")).toMatchObject({ ok: true, already: true });
    expect(answerConfirmation(db, token, "decline")).toMatchObject({ ok: true, already: true });
    expect(answerAcceptance(db, { id: ada.userId!, email: "ada@example.org" }, p.code, "decline")).toMatchObject({
      ok: true,
      already: true,
    });
    expect(outboxSize()).toBe(size);
  });

  it("declined from the page: every speaker is told, the one who declined too", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada" });
    const cy = speakerProfile(db, "cy@example.org", { name: "Cy", language: "fr" });
    const p = proposal(db, [ada.id, cy.id]);
    acceptAndRelease(p.code);
    expect(answerAcceptance(db, { id: cy.userId!, email: "cy@example.org" }, p.code, "decline")).toMatchObject({
      ok: true,
      state: "declined",
      already: false,
    });
    const payload = (name: string) => ({ name, title: p.title, code: p.code });
    expect(told()).toEqual([
      { recipient: "ada@example.org", template: "cfp.declined", language: "en", payload: payload("Ada"), held: false },
      { recipient: "cy@example.org", template: "cfp.declined", language: "fr", payload: payload("Cy"), held: false },
    ]);
  });

  it("a speaker without an address is skipped; the others are told", () => {
    const ada = speakerProfile(db, "ada@example.org", { name: "Ada" });
    const ghost = speakerProfile(db, "ghost@example.org", { name: "Ghost", email: null }, { linked: false });
    const p = proposal(db, [ada.id, ghost.id]);
    const token = acceptAndRelease(p.code);
    answerConfirmation(db, token, "decline");
    expect(told().map((m) => [m.recipient, m.template])).toEqual([["ada@example.org", "cfp.declined"]]);
  });

  it("a refused answer tells nobody: expired or unknown link, not a speaker, not accepted", () => {
    const ada = speakerProfile(db, "ada@example.org");
    const p = proposal(db, [ada.id]);
    const token = acceptAndRelease(p.code, Date.parse("2013-01-01T00:00:00Z"));
    const mallory = speakerProfile(db, "mallory@example.org");
    const submitted = proposal(db, [ada.id]);
    const size = outboxSize();
    expect(answerConfirmation(db, token, "confirm", Date.parse("2013-12-31T00:00:00Z"))).toEqual({ ok: false, reason: "expired" });
    expect(answerConfirmation(db, "x".repeat(43), "decline")).toEqual({ ok: false, reason: "unknown" });
    expect(answerAcceptance(db, { id: mallory.userId!, email: "mallory@example.org" }, p.code, "confirm")).toEqual({
      ok: false,
      reason: "notFound",
    });
    expect(answerAcceptance(db, { id: ada.userId!, email: "ada@example.org" }, submitted.code, "decline")).toEqual({
      ok: false,
      reason: "invalidState",
    });
    expect(outboxSize()).toBe(size);
    expect(told()).toEqual([]);
  });
});
