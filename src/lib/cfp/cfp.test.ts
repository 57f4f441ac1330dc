import { asc, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import {
  auditLog,
  cfpTokens,
  outbox,
  proposalInvitations,
  proposalMessages,
  proposals,
  proposalSpeakers,
  reviews,
  speakers,
  users,
} from "../../../db/schema/index.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { findOrCreateUser } from "../auth/users.ts";
import { editionSchema, loadEdition, type Edition } from "../config/edition.ts";
import { isHeld } from "../email/outbox.ts";
import { zonedToInstant } from "../programme/time.ts";
import { callStatus, overallStatus } from "./call.ts";
import { proposalSchema, profileSchema, type ProposalInput } from "./form.ts";
import {
  acceptInvitation,
  declineInvitation,
  INVITATION_DAYS,
  invitationByToken,
  invite,
  resendInvitation,
  withdrawInvitation,
} from "./invitations.ts";
import { grantLateSubmission, lateGrantByToken } from "./late.ts";
import { invitationToken, lateToken } from "./links.ts";
import { availableDays, profileOf, updateProfile } from "./profile.ts";
import { createDraft, submitProposal, updateProposal, withdrawProposal, type CfpDeps } from "./proposals.ts";
import { myProposals, proposalForSpeaker } from "./view.ts";

const appKey = Buffer.alloc(32, 7);
// Talks until 31 March 2013 23:59 Paris time (21:59 UTC, summer time); workshops closed on 15 March.
const edition: Edition = editionSchema.parse({
  ...loadEdition("content"),
  cfp: {
    opens: "2013-01-07T09:00",
    deadline: "2013-03-31T23:59",
    formats: [
      { format: "talk" },
      { format: "panel" },
      { format: "workshop", deadline: "2013-03-15T23:59" },
      { format: "demo", opens: "2013-02-01T00:00" },
    ],
  },
});
const paris = (day: string, time: string) => zonedToInstant(day, time, "Europe/Paris").getTime();
const OPEN = paris("2013-03-01", "12:00");
const AFTER = paris("2013-04-02", "09:00");

let db: Db;
let deps: CfpDeps;
let ada: { id: number; email: string };
let bob: { id: number; email: string };

/** A proposal form; `title`, `abstract` and `description` are the English fields. */
function input({ title, abstract, description, ...over }: Partial<Record<string, unknown>> = {}): ProposalInput {
  return proposalSchema(edition).parse({
    titleEn: title ?? "Hunting botnets across borders",
    titleFr: "",
    abstractEn: abstract ?? "How three police forces took down a botnet together.",
    abstractFr: "",
    descriptionEn: description ?? "",
    descriptionFr: "",
    format: "talk",
    track: "cybercrime-prevention",
    language: "en",
    audience: "public",
    tlp: "CLEAR",
    notes: "",
    ...over,
  });
}
const row = (code: string) => db.select().from(proposals).where(eq(proposals.code, code)).get()!;
const mails = (template?: string) =>
  db
    .select()
    .from(outbox)
    .all()
    .filter((m) => !template || m.template === template);
const named = (account: { id: number; email: string }, name: string, language: "en" | "fr" = "en") =>
  updateProfile(
    db,
    edition,
    account,
    profileSchema(edition).parse({ name, affiliation: "", country: "", bioEn: "", bioFr: "", links: "", language, days: [] }),
    OPEN,
  );
function draft(account = ada, over: Partial<Record<string, unknown>> = {}, now = OPEN): string {
  const result = createDraft(deps, account, input(over), now);
  if (!result.ok) throw new Error(result.reason);
  return result.code;
}
const snapshot = () => ({
  proposals: db.select().from(proposals).orderBy(asc(proposals.id)).all(),
  speakers: db.select().from(proposalSpeakers).all(),
  invitations: db.select().from(proposalInvitations).all(),
  outbox: mails().length,
});

beforeEach(() => {
  db = openDatabase(":memory:");
  seedIfEmpty(db, "content");
  deps = { db, edition, appKey };
  ada = findOrCreateUser(db, "ada@example.org");
  bob = findOrCreateUser(db, "bob@example.org", { language: "fr" });
});

describe("call state", () => {
  it("is not yet open, open, then closed, per format, at the minute in Paris time", () => {
    expect(callStatus(edition, "talk", paris("2013-01-07", "08:59"))!.state).toBe("not_open");
    expect(callStatus(edition, "talk", paris("2013-01-07", "09:00"))!.state).toBe("open");
    // The deadline minute is still open; the next one is not.
    const last = paris("2013-03-31", "23:59");
    expect(callStatus(edition, "talk", last + 59_999)!.state).toBe("open");
    expect(callStatus(edition, "talk", last + 60_000)!.state).toBe("closed");
    expect(new Date(last).toISOString()).toBe("2013-03-31T21:59:00.000Z");
    expect(callStatus(edition, "workshop", OPEN)!.state).toBe("open");
    expect(callStatus(edition, "workshop", paris("2013-03-16", "00:00"))!.state).toBe("closed");
    expect(callStatus(edition, "talk", paris("2013-03-16", "00:00"))!.state).toBe("open");
    expect(callStatus(edition, "demo", paris("2013-01-20", "12:00"))!.state).toBe("not_open");
    expect(callStatus(edition, "keynote", OPEN)).toBeNull();
    expect(callStatus({ timezone: "Europe/Paris", cfp: undefined }, "talk", OPEN)).toBeNull();
  });

  it("is open as a whole while any format is", () => {
    expect(overallStatus(edition, paris("2013-01-01", "00:00"))).toBe("not_open");
    expect(overallStatus(edition, paris("2013-03-20", "00:00"))).toBe("open");
    expect(overallStatus(edition, AFTER)).toBe("closed");
    expect(overallStatus({ timezone: "UTC" })).toBeNull();
  });

  it("keeps the demo edition's call open", () => {
    expect(overallStatus(loadEdition("content"), Date.now())).toBe("open");
  });
});

describe("speaker profile", () => {
  it("is created on first use, claimed when a programme speaker has the address, and saved with availability", () => {
    const profile = profileOf(db, ada);
    expect(profile).toMatchObject({ userId: ada.id, email: "ada@example.org", name: "" });
    expect(profileOf(db, ada).id).toBe(profile.id);
    const demo = db.select().from(speakers).get()!;
    db.update(speakers).set({ email: "carol@example.org" }).where(eq(speakers.id, demo.id)).run();
    const carol = findOrCreateUser(db, "carol@example.org");
    expect(profileOf(db, carol).id).toBe(demo.id);
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action === "speaker.profile_claimed")
        .map((e) => [e.actorEmail, e.subjectId]),
    ).toEqual([["carol@example.org", demo.slug]]);

    const saved = updateProfile(
      db,
      edition,
      ada,
      profileSchema(edition).parse({
        name: "Ada Lovelace",
        affiliation: "Analytical Engines",
        country: "gb",
        bioEn: "Line 1\r\nLine 2",
        bioFr: "Ligne 1",
        links: "https://example.org/ada\n\nhttps://www.example.com/",
        language: "fr",
        days: ["2013-07-03"],
      }),
      OPEN,
    );
    expect(saved).toMatchObject({ name: "Ada Lovelace", country: "GB", bioEn: "Line 1\nLine 2", bioFr: "Ligne 1", language: "fr" });
    expect(saved.slug).toMatch(/^ada-lovelace-[a-z0-9]{6}$/);
    expect(saved.links).toEqual([
      { label: "example.org", url: "https://example.org/ada" },
      { label: "example.com", url: "https://www.example.com/" },
    ]);
    expect(saved.availability).toEqual([{ from: "2013-07-02T22:00:00.000Z", to: "2013-07-03T22:00:00.000Z" }]);
    expect(availableDays(edition, saved.availability)).toEqual(["2013-07-03"]);
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .map((a) => a.action),
    ).toContain("cfp.profile_updated");
  });

  it("gives a name in another script a readable slug", () => {
    const saved = updateProfile(
      db,
      edition,
      findOrCreateUser(db, "anna@example.org"),
      profileSchema(edition).parse({ name: "Анна Петрова", affiliation: "", country: "ua", bio: "", links: "", language: "en", days: [] }),
      OPEN,
    );
    expect(saved.slug).toMatch(/^anna-petrova-[a-z0-9]{6}$/);
  });

  it("refuses a missing name, an unknown country, bad links and a day outside the edition, by field", () => {
    const result = profileSchema(edition).safeParse({
      name: " ",
      affiliation: "",
      country: "XX",
      bioEn: "",
      links: "javascript:alert(1)",
      language: "de",
      days: ["2013-08-01"],
    });
    expect(result.success).toBe(false);
    const fields = Object.fromEntries(result.error!.issues.map((i) => [i.path[0], i.message]));
    expect(fields).toEqual({
      name: "required",
      country: "unknownCountry",
      links: "cfp:invalidLink",
      language: "invalidLanguage",
      days: "invalid",
    });
  });
});

describe("proposal lifecycle", () => {
  it("creates a draft with its creator as first speaker; edits with the version; submits with an acknowledgement per speaker in their language", () => {
    named(ada, "Ada Lovelace", "fr");
    const code = draft();
    expect(code).toMatch(/^[A-Z2-9]{8}$/);
    expect(row(code)).toMatchObject({ state: "draft", version: 1, titleEn: "Hunting botnets across borders", createdBy: ada.id });
    expect(myProposals(db, ada.id).map((p) => [p.code, p.state])).toEqual([[code, "draft"]]);

    const saved = updateProposal(deps, ada, code, 1, input({ title: "Botnets", format: "panel", track: "" }), OPEN);
    expect(saved).toEqual({ ok: true, version: 2 });
    expect(row(code)).toMatchObject({ titleEn: "Botnets", trackId: null, version: 2 });
    expect(updateProposal(deps, ada, code, 1, input({ title: "Stale" }), OPEN)).toEqual({ ok: false, reason: "conflict" });
    expect(row(code).titleEn).toBe("Botnets");

    expect(submitProposal(deps, ada, code, 2, OPEN + 1000)).toEqual({ ok: true });
    expect(row(code)).toMatchObject({ state: "submitted", version: 3, submittedAt: new Date(OPEN + 1000) });
    const [ack] = mails("cfp.submitted");
    expect(ack).toMatchObject({ recipient: "ada@example.org", language: "fr", payload: { name: "Ada Lovelace", title: "Botnets", code } });
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .map((a) => a.action),
    ).toEqual(expect.arrayContaining(["cfp.proposal_created", "cfp.proposal_updated", "cfp.proposal_submitted"]));
    // Still editable until the deadline, but not submittable twice.
    expect(updateProposal(deps, ada, code, 3, input({ title: "Botnets, again" }), OPEN)).toEqual({ ok: true, version: 4 });
    expect(submitProposal(deps, ada, code, 4, OPEN)).toEqual({ ok: false, reason: "invalidState" });
  });

  it("requires an abstract and a named profile to submit, and refuses an unknown track or format", () => {
    const code = draft(ada, { abstract: "" });
    const before = snapshot();
    expect(submitProposal(deps, ada, code, 1, OPEN)).toEqual({ ok: false, reason: "abstractRequired" });
    updateProposal(deps, ada, code, 1, input(), OPEN);
    expect(submitProposal(deps, ada, code, 2, OPEN)).toEqual({ ok: false, reason: "profileIncomplete" });
    named(ada, "Ada");
    expect(submitProposal(deps, ada, code, 2, OPEN)).toEqual({ ok: true });
    expect(before.outbox).toBe(0);
    expect(createDraft(deps, ada, input({ track: "nope" }), OPEN)).toEqual({ ok: false, reason: "unknownTrack" });
    expect(proposalSchema(edition).safeParse({ ...input(), format: "keynote" }).error?.issues[0]?.message).toBe("cfp:unknownFormat");
    expect(proposalSchema(edition).safeParse({ ...input(), titleEn: null, titleFr: " " }).error?.issues[0]).toMatchObject({
      path: ["titleEn"],
      message: "cfp:titleEitherLanguage",
    });
    // A title in French alone is enough; so is an abstract in French alone.
    expect(proposalSchema(edition).safeParse({ ...input(), titleEn: "", titleFr: "Botnets" }).success).toBe(true);
    const french = draft(ada, { title: "", titleFr: "Traquer les botnets", abstract: "", abstractFr: "Trois polices ensemble." });
    expect(row(french)).toMatchObject({
      titleEn: "",
      titleFr: "Traquer les botnets",
      abstractEn: "",
      abstractFr: "Trois polices ensemble.",
    });
    expect(submitProposal(deps, ada, french, 1, OPEN)).toEqual({ ok: true });
  });

  it("withdraws drafts and submitted proposals (dropping a pending decision), but not once decided", () => {
    named(ada, "Ada");
    const a = draft();
    expect(withdrawProposal(deps, ada, a, OPEN)).toEqual({ ok: true });
    expect(row(a).state).toBe("withdrawn");
    expect(withdrawProposal(deps, ada, a, OPEN)).toEqual({ ok: false, reason: "invalidState" });
    expect(updateProposal(deps, ada, a, row(a).version, input(), OPEN)).toEqual({ ok: false, reason: "invalidState" });

    const b = draft();
    submitProposal(deps, ada, b, 1, OPEN);
    db.update(proposals).set({ pendingState: "accepted" }).where(eq(proposals.code, b)).run();
    expect(withdrawProposal(deps, ada, b, AFTER)).toEqual({ ok: true });
    expect(row(b)).toMatchObject({ state: "withdrawn", pendingState: null });
    const withdrawal = db
      .select()
      .from(auditLog)
      .all()
      .filter((e) => e.action === "cfp.proposal_withdrawn" && e.subjectId === b);
    expect(withdrawal.map((e) => e.before)).toEqual([{ state: "submitted", pendingState: "accepted" }]);

    for (const state of ["accepted", "rejected", "confirmed", "declined"] as const) {
      const c = draft();
      db.update(proposals).set({ state }).where(eq(proposals.code, c)).run();
      expect(withdrawProposal(deps, ada, c, OPEN)).toEqual({ ok: false, reason: "invalidState" });
      expect(updateProposal(deps, ada, c, 1, input(), OPEN)).toEqual({ ok: false, reason: "invalidState" });
      expect(submitProposal(deps, ada, c, 1, OPEN)).toEqual({ ok: false, reason: "invalidState" });
      expect(row(c).state).toBe(state);
    }
  });

  it("hides a proposal from anyone but its speakers: every change is notFound and nothing moves", () => {
    named(ada, "Ada");
    const code = draft();
    const before = snapshot();
    expect(proposalForSpeaker(db, edition, bob, code, OPEN)).toBeUndefined();
    expect(myProposals(db, bob.id)).toEqual([]);
    expect(updateProposal(deps, bob, code, 1, input({ title: "Mine" }), OPEN)).toEqual({ ok: false, reason: "notFound" });
    expect(submitProposal(deps, bob, code, 1, OPEN)).toEqual({ ok: false, reason: "notFound" });
    expect(withdrawProposal(deps, bob, code, OPEN)).toEqual({ ok: false, reason: "notFound" });
    expect(invite(deps, bob, code, "eve@example.org", OPEN)).toEqual({ ok: false, reason: "notFound" });
    expect(snapshot()).toEqual(before);
  });
});

describe("deadlines and late-submission links", () => {
  it("refuses to create, edit or submit after the format's deadline, and before the call opens", () => {
    named(ada, "Ada");
    const talk = draft();
    const workshop = draft(ada, { format: "workshop" });
    const closedWorkshop = paris("2013-03-20", "10:00");
    const before = snapshot();
    expect(createDraft(deps, ada, input({ format: "workshop" }), closedWorkshop)).toEqual({ ok: false, reason: "closed" });
    expect(updateProposal(deps, ada, workshop, 1, input({ format: "workshop" }), closedWorkshop)).toEqual({ ok: false, reason: "closed" });
    expect(submitProposal(deps, ada, workshop, 1, closedWorkshop)).toEqual({ ok: false, reason: "closed" });
    expect(createDraft(deps, ada, input({ format: "demo" }), paris("2013-01-20", "10:00"))).toEqual({ ok: false, reason: "closed" });
    expect(snapshot()).toEqual(before);
    // Talks are still open then, and a workshop may become a talk.
    expect(updateProposal(deps, ada, workshop, 1, input({ format: "talk" }), closedWorkshop)).toEqual({ ok: true, version: 2 });
    // At the deadline minute's end.
    const last = paris("2013-03-31", "23:59");
    expect(submitProposal(deps, ada, talk, 1, last + 60_000)).toEqual({ ok: false, reason: "closed" });
    expect(submitProposal(deps, ada, talk, 1, last + 59_999)).toEqual({ ok: true });
    // Withdrawing is not bound to the deadline.
    expect(withdrawProposal(deps, ada, talk, AFTER)).toEqual({ ok: true });
  });

  it("lets the holder of a late link create, edit and submit after the deadline, for its format only, until it expires", () => {
    named(ada, "Ada");
    const organizer = { id: findOrCreateUser(db, "org@example.org").id, email: "org@example.org" };
    expect(grantLateSubmission(db, appKey, organizer, { email: "Ada@Example.org ", days: 0, format: null, language: "en" }, AFTER)).toEqual(
      {
        ok: false,
        reason: "invalidDays",
      },
    );
    expect(
      grantLateSubmission(db, appKey, organizer, { email: "ada@example.org", days: 3, format: "nope", language: "en" }, AFTER),
    ).toEqual({
      ok: false,
      reason: "unknownFormat",
    });
    const granted = grantLateSubmission(
      db,
      appKey,
      organizer,
      { email: "Ada@Example.org", days: 3, format: "talk", language: "fr" },
      AFTER,
    );
    expect(granted).toEqual({ ok: true, expiresAt: new Date(AFTER + 3 * 86_400_000) });
    const [mail] = mails("cfp.late");
    expect(mail).toMatchObject({ recipient: "ada@example.org", language: "en", payload: { formatName: "Talk" } });
    const token = lateToken(appKey, (mail!.payload as { nonce: string }).nonce);
    expect(lateGrantByToken(db, token, AFTER)).toMatchObject({ email: "ada@example.org", purpose: "late" });
    expect(lateGrantByToken(db, token, AFTER + 3 * 86_400_000)).toBeUndefined();
    expect(db.select().from(cfpTokens).get()!.tokenHash).not.toContain(token);

    const code = createDraft(deps, ada, input(), AFTER);
    expect(code.ok).toBe(true);
    if (!code.ok) return;
    expect(createDraft(deps, ada, input({ format: "panel" }), AFTER)).toEqual({ ok: false, reason: "closed" });
    expect(createDraft(deps, bob, input(), AFTER)).toEqual({ ok: false, reason: "closed" });
    expect(proposalForSpeaker(db, edition, ada, code.code, AFTER)).toMatchObject({ late: true, can: { edit: true, submit: true } });
    expect(updateProposal(deps, ada, code.code, 1, input({ title: "Late" }), AFTER)).toEqual({ ok: true, version: 2 });
    expect(submitProposal(deps, ada, code.code, 2, AFTER)).toEqual({ ok: true });
    expect(db.select().from(cfpTokens).get()!.usedAt).toEqual(new Date(AFTER));
    expect(updateProposal(deps, ada, code.code, 3, input({ title: "Too late" }), AFTER + 3 * 86_400_000)).toEqual({
      ok: false,
      reason: "closed",
    });
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .map((a) => a.action),
    ).toContain("cfp.late_granted");
  });
});

describe("co-speaker invitations", () => {
  function invited(code: string, email = "bob@example.org") {
    expect(invite(deps, ada, code, email, OPEN)).toEqual({ ok: true });
    const mail = mails("cfp.invitation").at(-1)!;
    return invitationToken(appKey, (mail.payload as { nonce: string }).nonce);
  }

  it("mails a link (only its hash stored) that a signed-in account accepts: its profile joins the proposal", () => {
    named(ada, "Ada Lovelace");
    const code = draft();
    const token = invited(code, "Bob@Example.org");
    const mail = mails("cfp.invitation")[0]!;
    expect(mail).toMatchObject({
      recipient: "bob@example.org",
      language: "fr",
      payload: { inviter: "Ada Lovelace", title: "Hunting botnets across borders" },
    });
    const stored = db.select().from(proposalInvitations).get()!;
    expect(stored).toMatchObject({ email: "bob@example.org", state: "pending", invitedBy: ada.id });
    expect(stored.tokenHash).not.toBe(token);
    expect(invitationByToken(db, token, OPEN)).toMatchObject({
      title: { en: "Hunting botnets across borders", fr: "" },
      inviter: "Ada Lovelace",
      code,
    });
    expect(invite(deps, ada, code, "bob@example.org", OPEN)).toEqual({ ok: false, reason: "alreadyInvited" });
    expect(invite(deps, ada, code, "ada@example.org", OPEN)).toEqual({ ok: false, reason: "alreadySpeaker" });

    expect(acceptInvitation(deps, bob, token, OPEN)).toEqual({ ok: true, code });
    expect(db.select().from(proposalInvitations).get()!.state).toBe("accepted");
    expect(proposalForSpeaker(db, edition, bob, code, OPEN)!.speakers).toEqual([
      { name: "Ada Lovelace", you: false },
      { name: "", you: true },
    ]);
    expect(myProposals(db, bob.id).map((p) => p.code)).toEqual([code]);
    // Used once.
    expect(acceptInvitation(deps, bob, token, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    // Bob, now a speaker, can edit and gets the acknowledgement too.
    named(bob, "Bob Martin", "fr");
    expect(submitProposal(deps, bob, code, 1, OPEN)).toEqual({ ok: true });
    expect(mails("cfp.submitted").map((m) => [m.recipient, m.language])).toEqual([
      ["ada@example.org", "en"],
      ["bob@example.org", "fr"],
    ]);
  });

  it("resend kills the old link; withdraw and decline kill the link; answered invitations cannot be resent", () => {
    named(ada, "Ada");
    const code = draft();
    const first = invited(code);
    const id = db.select().from(proposalInvitations).get()!.id;
    expect(resendInvitation(deps, ada, code, id, OPEN + 1)).toEqual({ ok: true });
    const second = invitationToken(appKey, (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce);
    expect(second).not.toBe(first);
    expect(invitationByToken(db, first, OPEN)).toBeUndefined();
    expect(acceptInvitation(deps, bob, first, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    expect(withdrawInvitation(deps, ada, code, id, OPEN)).toEqual({ ok: true });
    expect(acceptInvitation(deps, bob, second, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    expect(resendInvitation(deps, ada, code, id, OPEN)).toEqual({ ok: false, reason: "invalidState" });
    expect(withdrawInvitation(deps, bob, code, id, OPEN)).toEqual({ ok: false, reason: "notFound" });

    const third = invited(code, "carol@example.org");
    expect(declineInvitation(deps, null, third, OPEN)).toEqual({ ok: true });
    expect(
      db
        .select()
        .from(proposalInvitations)
        .all()
        .map((i) => i.state),
    ).toEqual(["withdrawn", "declined"]);
    expect(declineInvitation(deps, null, third, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    expect(db.select().from(proposalSpeakers).all()).toHaveLength(1);
    // Declined by the link alone: the audit names the invited address.
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .filter((e) => e.action === "cfp.invitation_declined")
        .map((e) => [e.actorId, e.actorEmail]),
    ).toEqual([[null, "carol@example.org"]]);

    // Once confirmed, the session's speakers are the organizers' to change: no one joins any more.
    const pending = invited(code, "dan@example.org");
    db.update(proposals).set({ state: "confirmed" }).where(eq(proposals.code, code)).run();
    expect(acceptInvitation(deps, bob, pending, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    expect(invite(deps, ada, code, "erin@example.org", OPEN)).toEqual({ ok: false, reason: "invalidState" });
    expect(db.select().from(proposalSpeakers).all()).toHaveLength(1);
  });

  it("expires a link not answered within INVITATION_DAYS of its sending; a resend starts a new period", () => {
    named(ada, "Ada");
    const code = draft();
    const token = invited(code);
    const expiry = OPEN + INVITATION_DAYS * 86_400_000;
    expect(invitationByToken(db, token, expiry - 1)).toMatchObject({ email: "bob@example.org", code });
    expect(invitationByToken(db, token, expiry)).toBeUndefined();
    expect(acceptInvitation(deps, bob, token, expiry)).toEqual({ ok: false, reason: "unknownLink" });
    expect(declineInvitation(deps, null, token, expiry)).toEqual({ ok: false, reason: "unknownLink" });
    expect(db.select().from(proposalSpeakers).all()).toHaveLength(1);
    const id = db.select().from(proposalInvitations).get()!.id;
    expect(resendInvitation(deps, ada, code, id, expiry)).toEqual({ ok: true });
    const fresh = invitationToken(appKey, (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce);
    expect(acceptInvitation(deps, bob, fresh, expiry + 1)).toEqual({ ok: true, code });
  });

  it("closes invitations of a withdrawn proposal", () => {
    named(ada, "Ada");
    const code = draft();
    const token = invited(code);
    withdrawProposal(deps, ada, code, OPEN);
    expect(invite(deps, ada, code, "dan@example.org", OPEN)).toEqual({ ok: false, reason: "invalidState" });
    expect(acceptInvitation(deps, bob, token, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
  });
});

describe("speakers are told of each change", () => {
  /** The outbox rows of `template`, as sent: who, what, in which language, with which payload. */
  const told = (template: string) =>
    mails(template).map((m) => ({
      recipient: m.recipient,
      template: m.template,
      language: m.language,
      payload: m.payload,
      held: isHeld(m),
    }));
  /** Bob joins Ada's draft by her invitation. */
  function withBob(): string {
    named(ada, "Ada Lovelace", "fr");
    named(bob, "Bob Martin", "en");
    const code = draft();
    invite(deps, ada, code, "bob@example.org", OPEN);
    const nonce = (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce;
    expect(acceptInvitation(deps, bob, invitationToken(appKey, nonce), OPEN)).toEqual({ ok: true, code });
    return code;
  }

  it("withdrawn: a receipt to the speaker who withdrew, the withdrawer's name to the others, each in their language", () => {
    const code = withBob();
    const title = "Hunting botnets across borders";
    expect(withdrawProposal(deps, bob, code, OPEN + 1)).toEqual({ ok: true });
    expect(told("cfp.withdrawn")).toEqual([
      {
        recipient: "ada@example.org",
        template: "cfp.withdrawn",
        language: "fr",
        payload: { name: "Ada Lovelace", title, code, by: "Bob Martin" },
        held: false,
      },
      {
        recipient: "bob@example.org",
        template: "cfp.withdrawn",
        language: "en",
        payload: { name: "Bob Martin", title, code, by: "" },
        held: false,
      },
    ]);
    // Refused: withdrawn already, or not one's own; nothing more is queued.
    const before = snapshot();
    expect(withdrawProposal(deps, ada, code, OPEN + 2)).toEqual({ ok: false, reason: "invalidState" });
    const carol = findOrCreateUser(db, "carol@example.org");
    expect(withdrawProposal(deps, carol, code, OPEN + 2)).toEqual({ ok: false, reason: "notFound" });
    expect(snapshot()).toEqual(before);
  });

  it("withdrawn by a speaker without a name yet: the others read the withdrawer's address", () => {
    const code = draft();
    invite(deps, ada, code, "bob@example.org", OPEN);
    const nonce = (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce;
    acceptInvitation(deps, bob, invitationToken(appKey, nonce), OPEN);
    withdrawProposal(deps, ada, code, OPEN);
    expect(told("cfp.withdrawn").map((m) => [m.recipient, m.language, (m.payload as { by: string }).by])).toEqual([
      ["ada@example.org", "en", ""],
      ["bob@example.org", "fr", "ada@example.org"],
    ]);
  });

  it("a co-speaker joined: the other speakers are told, not the one who joined; a refused acceptance tells nobody", () => {
    const code = withBob();
    const title = "Hunting botnets across borders";
    expect(told("cfp.speaker_joined")).toEqual([
      {
        recipient: "ada@example.org",
        template: "cfp.speaker_joined",
        language: "fr",
        payload: { name: "Ada Lovelace", title, code, speaker: "Bob Martin" },
        held: false,
      },
    ]);
    // Carol, invited by Bob, joins before naming herself: Ada and Bob read the address Bob invited.
    expect(invite(deps, bob, code, "Carol@Example.org", OPEN)).toEqual({ ok: true });
    const token = invitationToken(appKey, (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce);
    const carol = findOrCreateUser(db, "carol.work@example.org", { language: "fr" });
    expect(acceptInvitation(deps, carol, token, OPEN)).toEqual({ ok: true, code });
    expect(told("cfp.speaker_joined").slice(1)).toEqual([
      {
        recipient: "ada@example.org",
        template: "cfp.speaker_joined",
        language: "fr",
        payload: { name: "Ada Lovelace", title, code, speaker: "carol@example.org" },
        held: false,
      },
      {
        recipient: "bob@example.org",
        template: "cfp.speaker_joined",
        language: "en",
        payload: { name: "Bob Martin", title, code, speaker: "carol@example.org" },
        held: false,
      },
    ]);
    const before = snapshot();
    expect(acceptInvitation(deps, carol, token, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    expect(acceptInvitation(deps, carol, "x".repeat(43), OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    expect(snapshot()).toEqual(before);
  });

  it("an invitation declined: the inviter alone is told, with the address invited; a refused decline tells nobody", () => {
    const code = withBob();
    const title = "Hunting botnets across borders";
    // Bob invites Dan; Ada, the other speaker, is not told of Dan's answer.
    expect(invite(deps, bob, code, "dan@example.org", OPEN)).toEqual({ ok: true });
    const token = invitationToken(appKey, (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce);
    expect(declineInvitation(deps, null, token, OPEN)).toEqual({ ok: true });
    expect(told("cfp.invitation_declined")).toEqual([
      {
        recipient: "bob@example.org",
        template: "cfp.invitation_declined",
        language: "en",
        payload: { name: "Bob Martin", title, code, invitee: "dan@example.org" },
        held: false,
      },
    ]);
    const before = snapshot();
    expect(declineInvitation(deps, null, token, OPEN)).toEqual({ ok: false, reason: "unknownLink" });
    // An expired link cannot be declined either.
    expect(invite(deps, ada, code, "eve@example.org", OPEN)).toEqual({ ok: true });
    const late = invitationToken(appKey, (mails("cfp.invitation").at(-1)!.payload as { nonce: string }).nonce);
    const queued = snapshot();
    expect(declineInvitation(deps, null, late, OPEN + INVITATION_DAYS * 86_400_000)).toEqual({ ok: false, reason: "unknownLink" });
    expect(snapshot()).toEqual(queued);
    expect(before.outbox + 1).toBe(queued.outbox);
  });
});

describe("what the speaker sees", () => {
  it("shows the released state only, the organizers' messages, never reviews", () => {
    named(ada, "Ada");
    const code = draft();
    submitProposal(deps, ada, code, 1, OPEN);
    const id = row(code).id;
    const organizer = findOrCreateUser(db, "org@example.org");
    db.update(proposals).set({ pendingState: "rejected" }).where(eq(proposals.id, id)).run();
    db.insert(reviews).values({ proposalId: id, reviewerId: organizer.id, comment: "SECRET REVIEW COMMENT" }).run();
    db.insert(proposalMessages)
      .values({ proposalId: id, authorId: organizer.id, body: "Please shorten the abstract.", createdAt: new Date(OPEN) })
      .run();
    const view = proposalForSpeaker(db, edition, ada, code, AFTER)!;
    expect(view.state).toBe("submitted");
    expect(view.messages).toEqual([{ body: "Please shorten the abstract.", at: new Date(OPEN) }]);
    expect(JSON.stringify(view)).not.toMatch(/SECRET|rejected|pending/i);
    expect(view.can).toEqual({ edit: false, submit: false, withdraw: true, invite: true });
    db.update(proposals).set({ state: "accepted", pendingState: null }).where(eq(proposals.id, id)).run();
    expect(proposalForSpeaker(db, edition, ada, code, AFTER)).toMatchObject({ state: "accepted", can: { withdraw: false } });
    expect(db.select().from(users).all().length).toBe(3);
  });
});
