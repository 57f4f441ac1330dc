import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, outbox, proposals, sessions, sessionSpeakers } from "../../../db/schema/index.ts";
import { catalogue, proposal, speakerProfile, user } from "../../../tests/fixtures/cfp.ts";
import { confirmToken } from "../cfp/links.ts";
import { loadProgramme } from "../programme/queries.ts";
import { answerConfirmation, lookupConfirmation, uniqueSessionSlug } from "./confirm.ts";
import { releaseDecisions, setPendingDecisions } from "./decisions.ts";

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
  expect(releaseDecisions(db, appKey, organizer, 1, now)).toMatchObject({ ok: true });
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
    expect(releaseDecisions(db, appKey, organizer, 3)).toMatchObject({ ok: true, accepted: 3 });
    for (const m of db.select().from(outbox).all())
      answerConfirmation(db, confirmToken(appKey, (m.payload as { nonce: string }).nonce), "confirm");
    const titlePublic = Object.fromEntries(
      db
        .select({ title: sessions.title, titlePublic: sessions.titlePublic })
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
    const p = proposal(db, [bob.id, ada.id, cy.id], {
      title: "Détecter le rançongiciel : tôt !",
      language: "fr",
      audience: "law-enforcement",
      tlp: "AMBER",
    });
    const token = acceptAndRelease(p.code);
    expect(lookupConfirmation(db, token)).toEqual({ ok: true, code: p.code, title: p.title, state: "accepted", sessionSlug: null });

    const result = answerConfirmation(db, token, "confirm");
    expect(result).toEqual({ ok: true, state: "confirmed", already: false, sessionSlug: "detecter-le-rancongiciel-tot" });
    const session = db.select().from(sessions).where(eq(sessions.slug, "detecter-le-rancongiciel-tot")).get()!;
    expect(session).toMatchObject({
      title: p.title,
      abstract: "How early signals in network traffic reveal an attack.",
      description: "A longer description.",
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

describe("uniqueSessionSlug", () => {
  it("folds the title and numbers a taken slug", () => {
    expect(uniqueSessionSlug(db, "  Œuvres & Zero-Days  ")).toBe("oeuvres-zero-days");
    db.insert(sessions)
      .values({ slug: "ai-crime", title: "x", formatId: catalogue(db).formatId })
      .run();
    expect(uniqueSessionSlug(db, "AI crime")).toBe("ai-crime-2");
    expect(uniqueSessionSlug(db, "!!!")).toBe("session");
  });
});
