import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { registrationEvents, registrations, registrationTokens } from "../../../db/schema/index.ts";
import { ok, registrationInput, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { hashSecret } from "../security/secrets.ts";
import {
  approve,
  availability,
  cancel,
  checkIn,
  confirmEmail,
  erase,
  expirePending,
  findByToken,
  isOfficialAddress,
  personalData,
  purgeAfterEvent,
  purgeDate,
  reject,
  submit,
  ticketSecretOf,
  updateDetails,
  type Registration,
} from "./service.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

/** Registers and confirms the address; returns the registration and its link. */
function registerConfirmed(overrides: Parameters<typeof registrationInput>[0] = {}) {
  const input = registrationInput(overrides);
  submit(world.deps, input);
  const token = world.tokenOf(world.mailTo(input.email).at(-1)!);
  return { registration: ok(confirmEmail(world.deps, token)).registration, token, email: input.email };
}

const row = (id: number): Registration => world.db.select().from(registrations).where(eq(registrations.id, id)).get()!;
const templates = (email: string) => world.mailTo(email).map((m) => m.template);

describe("submitting the form", () => {
  it("creates a pending_email registration, a manage link and the confirm-address message, in the attendee's language", () => {
    world = registrationWorld();
    const input = registrationInput({ language: "fr" });
    const { outcome, registrationId } = submit(world.deps, input);
    expect(outcome).toBe("created");
    const registration = row(registrationId);
    expect(registration).toMatchObject({ status: "pending_email", email: input.email, seatHeld: false, language: "fr" });
    expect(registration.expiresAt!.getTime()).toBe(world.clock.now + 48 * 3_600_000);
    const [message] = world.mailTo(input.email);
    expect(message).toMatchObject({ template: "registration.confirm_address", language: "fr", state: "pending", registrationId });
    expect(findByToken(world.deps, world.tokenOf(message))?.id).toBe(registrationId);
    // Only the hash of the link is stored, and the payload holds no token.
    const stored = world.db.select().from(registrationTokens).all();
    expect(stored).toHaveLength(1);
    expect(stored[0].hash).toBe(hashSecret(world.tokenOf(message)));
    expect(JSON.stringify(message.payload)).not.toContain(world.tokenOf(message));
    expect(world.db.select().from(registrationEvents).all()).toMatchObject([
      { fromStatus: null, toStatus: "pending_email", actor: "attendee" },
    ]);
  });

  it("does not duplicate an active registration: the holder gets a new private link, nothing else changes", () => {
    world = registrationWorld();
    const first = registrationInput();
    const { registrationId } = submit(world.deps, first);
    const again = submit(world.deps, { ...first, name: "Someone Else", organisation: "Intruder Ltd" });
    expect(again).toEqual({ outcome: "existing", registrationId });
    expect(world.db.select().from(registrations).all()).toHaveLength(1);
    expect(row(registrationId)).toMatchObject({ name: "Ada Example", organisation: "Example Org", status: "pending_email" });
    const mails = world.mailTo(first.email);
    expect(mails.map((m) => m.template)).toEqual(["registration.confirm_address", "registration.already_registered"]);
    // Nothing typed into a form reaches an address before it is confirmed (not even the name).
    expect(mails[0].payload.name).toBe("");
    expect(mails[1].payload.name).toBe("");
    // Both links work.
    expect(findByToken(world.deps, world.tokenOf(mails[0]))?.id).toBe(registrationId);
    expect(findByToken(world.deps, world.tokenOf(mails[1]))?.id).toBe(registrationId);
  });

  it("allows a new registration once the previous one is cancelled", () => {
    world = registrationWorld();
    const { registration, email } = registerConfirmed();
    ok(cancel(world.deps, registration.id, "attendee"));
    expect(submit(world.deps, registrationInput({ email })).outcome).toBe("created");
  });

  it("marks law-enforcement registrations from official domains as domain-verified, never approved", () => {
    world = registrationWorld();
    const official = submit(
      world.deps,
      registrationInput({ category: "law-enforcement", email: "j.martin@interieur.gouv.fr", officialEmail: "j.martin@interieur.gouv.fr" }),
    );
    const other = submit(world.deps, registrationInput({ category: "law-enforcement", email: "j.martin@gmail.com" }));
    expect(row(official.registrationId)).toMatchObject({ domainVerified: true, status: "pending_email" });
    expect(row(other.registrationId).domainVerified).toBe(false);
    const token = world.tokenOf(world.mailTo("j.martin@interieur.gouv.fr")[0]);
    expect(ok(confirmEmail(world.deps, token)).registration.status).toBe("pending_review");
  });
});

describe("official domains", () => {
  it("matches subdomains for wildcards and the exact domain otherwise", () => {
    const domains = ["*.gouv.fr", "interpol.int"];
    expect(isOfficialAddress("a@interieur.gouv.fr", domains)).toBe(true);
    expect(isOfficialAddress("a@x.y.gouv.fr", domains)).toBe(true);
    expect(isOfficialAddress("a@gouv.fr", domains)).toBe(false);
    expect(isOfficialAddress("a@notgouv.fr", domains)).toBe(false);
    expect(isOfficialAddress("a@interpol.int", domains)).toBe(true);
    expect(isOfficialAddress("a@fake-interpol.int", domains)).toBe(false);
    expect(isOfficialAddress("a@interpol.int.evil.com", domains)).toBe(false);
  });
});

describe("confirming the address", () => {
  it("gives a seat to a category without vetting and sends the confirmed message with the ticket nonce", () => {
    world = registrationWorld();
    const { registration, email } = registerConfirmed();
    expect(registration).toMatchObject({ status: "confirmed", seatHeld: true, expiresAt: null });
    const last = world.mailTo(email).at(-1)!;
    expect(last.template).toBe("registration.confirmed");
    expect(last.payload.ticketNonce).toBe(registration.ticketNonce);
    expect(hashSecret(ticketSecretOf(world.deps.appKey, registration))).toBe(registration.ticketHash);
  });

  it("is idempotent", () => {
    world = registrationWorld();
    const { registration, token, email } = registerConfirmed();
    expect(ok(confirmEmail(world.deps, token)).registration).toMatchObject({
      id: registration.id,
      status: "confirmed",
      version: registration.version,
    });
    expect(templates(email)).toEqual(["registration.confirm_address", "registration.confirmed"]);
  });

  it("sends vetted categories to review, holding no seat", () => {
    world = registrationWorld();
    const { registration, email } = registerConfirmed({ category: "law-enforcement" });
    expect(registration).toMatchObject({ status: "pending_review", seatHeld: false });
    expect(templates(email).at(-1)).toBe("registration.under_review");
  });

  it("refuses an unknown link", () => {
    world = registrationWorld();
    expect(confirmEmail(world.deps, "x".repeat(43))).toEqual({ ok: false, reason: "not_found", detail: "unknown link" });
    expect(confirmEmail(world.deps, "short")).toEqual({ ok: false, reason: "not_found", detail: "unknown link" });
  });

  it("finds an expired registration expired, holding nothing", () => {
    world = registrationWorld();
    const input = registrationInput();
    const { registrationId } = submit(world.deps, input);
    world.clock.now += 49 * 3_600_000;
    const { registration } = ok(confirmEmail(world.deps, world.tokenOf(world.mailTo(input.email)[0])));
    expect(registration).toMatchObject({ id: registrationId, status: "cancelled", seatHeld: false });
    expect(availability(world.db, world.edition).find((a) => a.category === "industry")!.taken).toBe(0);
  });
});

describe("seats and the waiting list", () => {
  it("never confirms more than a category's capacity; the next wait, in order", () => {
    world = registrationWorld({ byCategory: { industry: 2 } });
    const a = registerConfirmed();
    const b = registerConfirmed();
    const c = registerConfirmed();
    world.clock.now += 1000;
    const d = registerConfirmed();
    expect([a, b, c, d].map((x) => x.registration.status)).toEqual(["confirmed", "confirmed", "waitlisted", "waitlisted"]);
    expect(templates(c.email).at(-1)).toBe("registration.waitlisted");
    expect(row(c.registration.id).waitlistedAt!.getTime()).toBeLessThan(row(d.registration.id).waitlistedAt!.getTime());
    // Another category is not affected.
    expect(registerConfirmed({ category: "researcher" }).registration.status).toBe("confirmed");
  });

  it("respects the overall capacity across categories", () => {
    world = registrationWorld({ total: 2 });
    expect(registerConfirmed().registration.status).toBe("confirmed");
    expect(registerConfirmed({ category: "researcher" }).registration.status).toBe("confirmed");
    expect(registerConfirmed({ category: "policy-maker" }).registration.status).toBe("waitlisted");
  });

  it("promotes the longest-waiting registration of the category when a seat frees up, and tells them", () => {
    world = registrationWorld({ byCategory: { industry: 1 } });
    const a = registerConfirmed();
    world.clock.now += 1000;
    const b = registerConfirmed();
    world.clock.now += 1000;
    const c = registerConfirmed();
    ok(cancel(world.deps, a.registration.id, "attendee"));
    expect(row(a.registration.id)).toMatchObject({ status: "cancelled", seatHeld: false });
    expect(row(b.registration.id)).toMatchObject({ status: "confirmed", seatHeld: true, waitlistedAt: null });
    expect(row(c.registration.id).status).toBe("waitlisted");
    expect(templates(a.email).at(-1)).toBe("registration.cancelled");
    expect(templates(b.email).at(-1)).toBe("registration.promoted");
    const promoted = world.db
      .select()
      .from(registrationEvents)
      .where(eq(registrationEvents.registrationId, b.registration.id))
      .all()
      .at(-1)!;
    expect(promoted).toMatchObject({ actor: "system", fromStatus: "waitlisted", toStatus: "confirmed" });
  });

  it("when the overall capacity was the limit, a freed seat goes to the longest-waiting registration that fits", () => {
    world = registrationWorld({ total: 1 });
    const a = registerConfirmed();
    world.clock.now += 1000;
    const b = registerConfirmed({ category: "researcher" });
    ok(cancel(world.deps, a.registration.id, "attendee"));
    expect(row(b.registration.id).status).toBe("confirmed");
  });

  it("a newcomer does not jump the queue", () => {
    world = registrationWorld({ byCategory: { industry: 1 } });
    const a = registerConfirmed();
    const b = registerConfirmed();
    // A seat frees up without promotion having run (as after a capacity change): the waiting one goes first.
    world.db.update(registrations).set({ seatHeld: false, status: "cancelled" }).where(eq(registrations.id, a.registration.id)).run();
    const c = registerConfirmed();
    expect(row(b.registration.id).status).toBe("confirmed");
    expect(c.registration.status).toBe("waitlisted");
  });
});

describe("vetting", () => {
  it("approval gives a seat (or a place in the queue); rejection tells the reason", () => {
    world = registrationWorld({ byCategory: { "law-enforcement": 1 } });
    const a = registerConfirmed({ category: "law-enforcement" });
    const b = registerConfirmed({ category: "law-enforcement" });
    const c = registerConfirmed({ category: "law-enforcement" });
    expect(ok(approve(world.deps, a.registration.id, "staff:1")).registration.status).toBe("confirmed");
    expect(ok(approve(world.deps, b.registration.id, "staff:1")).registration.status).toBe("waitlisted");
    const rejected = ok(reject(world.deps, c.registration.id, "Not a law-enforcement officer", "staff:1")).registration;
    expect(rejected).toMatchObject({ status: "rejected", rejectionReason: "Not a law-enforcement officer" });
    const mail = world.mailTo(c.email).at(-1)!;
    expect(mail).toMatchObject({ template: "registration.rejected" });
    expect(mail.payload.reason).toBe("Not a law-enforcement officer");
    expect(
      world.db.select().from(registrationEvents).where(eq(registrationEvents.registrationId, a.registration.id)).all().at(-1),
    ).toMatchObject({
      actor: "staff:1",
      toStatus: "confirmed",
    });
    // Rejecting the confirmed one frees its seat for the waiting one.
    ok(reject(world.deps, a.registration.id, "Duplicate", "staff:1"));
    expect(row(b.registration.id).status).toBe("confirmed");
  });

  it("refuses impossible transitions and changes nothing", () => {
    world = registrationWorld();
    const { registration, email } = registerConfirmed();
    const before = world.mail().length;
    expect(approve(world.deps, registration.id, "staff:1")).toEqual({
      ok: false,
      reason: "invalid_state",
      detail: `registration ${registration.id} is confirmed, not under review`,
    });
    expect(reject(world.deps, registration.id, "  ", "staff:1")).toEqual({
      ok: false,
      reason: "invalid_state",
      detail: "a reason is required",
    });
    ok(cancel(world.deps, registration.id, "attendee"));
    expect(cancel(world.deps, registration.id, "attendee")).toMatchObject({ ok: false, reason: "invalid_state" });
    expect(approve(world.deps, 9999, "staff:1")).toEqual({ ok: false, reason: "not_found", detail: "no registration 9999" });
    expect(world.mail().length).toBe(before + 1);
    expect(templates(email).at(-1)).toBe("registration.cancelled");
  });
});

describe("editing", () => {
  const details = (r: Registration) => ({
    name: r.name,
    organisation: r.organisation,
    country: r.country,
    language: r.language,
    dietary: r.dietary,
    accessibility: r.accessibility,
    listConsent: r.listConsent,
    agency: r.agency,
    position: r.position,
    officialEmail: r.officialEmail,
    company: r.company,
    role: r.role,
    institution: r.institution,
    policyBody: r.policyBody,
  });

  it("changing a vetted field of a confirmed vetted registration sends it back to review, keeping its seat", () => {
    world = registrationWorld({ byCategory: { "law-enforcement": 1 } });
    const a = registerConfirmed({ category: "law-enforcement" });
    const confirmed = ok(approve(world.deps, a.registration.id, "staff:1")).registration;
    const result = ok(
      updateDetails(world.deps, confirmed.id, confirmed.version, { ...details(confirmed), agency: "Another unit" }, "attendee"),
    );
    expect(result).toMatchObject({ backToReview: true, changed: ["agency"] });
    expect(row(confirmed.id)).toMatchObject({ status: "pending_review", seatHeld: true, agency: "Another unit" });
    expect(templates(a.email).at(-1)).toBe("registration.back_to_review");
    // The seat is still counted: another officer waits.
    const b = registerConfirmed({ category: "law-enforcement" });
    expect(ok(approve(world.deps, b.registration.id, "staff:1")).registration.status).toBe("waitlisted");
    // Approval again keeps the same seat.
    expect(ok(approve(world.deps, confirmed.id, "staff:1")).registration).toMatchObject({ status: "confirmed", seatHeld: true });
  });

  it("other changes keep the state and are recorded", () => {
    world = registrationWorld();
    const { registration } = registerConfirmed({ category: "law-enforcement" });
    const confirmed = ok(approve(world.deps, registration.id, "staff:1")).registration;
    const result = ok(
      updateDetails(
        world.deps,
        confirmed.id,
        confirmed.version,
        { ...details(confirmed), dietary: "Vegetarian", language: "fr" },
        "attendee",
      ),
    );
    expect(result.backToReview).toBe(false);
    expect(row(confirmed.id)).toMatchObject({ status: "confirmed", dietary: "Vegetarian", language: "fr" });
    expect(
      world.db.select().from(registrationEvents).where(eq(registrationEvents.registrationId, confirmed.id)).all().at(-1),
    ).toMatchObject({
      fromStatus: "confirmed",
      toStatus: "confirmed",
      note: "edited: language, dietary",
    });
  });

  it("refuses an edit based on a stale version", () => {
    world = registrationWorld();
    const { registration } = registerConfirmed();
    ok(updateDetails(world.deps, registration.id, registration.version, { ...details(registration), dietary: "Vegan" }, "attendee"));
    expect(
      updateDetails(world.deps, registration.id, registration.version, { ...details(registration), dietary: "None" }, "attendee"),
    ).toMatchObject({ ok: false, reason: "conflict" });
    expect(row(registration.id).dietary).toBe("Vegan");
  });
});

describe("expiry", () => {
  it("cancels unconfirmed registrations past their deadline, and only those", () => {
    world = registrationWorld();
    const old = submit(world.deps, registrationInput());
    world.clock.now += 47 * 3_600_000;
    const recent = submit(world.deps, registrationInput());
    const confirmedOne = registerConfirmed();
    world.clock.now += 2 * 3_600_000;
    expect(expirePending(world.deps)).toBe(1);
    expect(row(old.registrationId).status).toBe("cancelled");
    expect(row(recent.registrationId).status).toBe("pending_email");
    expect(row(confirmedOne.registration.id).status).toBe("confirmed");
    expect(expirePending(world.deps)).toBe(0);
  });
});

describe("check-in and personal data", () => {
  it("checks in a confirmed ticket once", () => {
    world = registrationWorld();
    const { registration } = registerConfirmed();
    const secret = ticketSecretOf(world.deps.appKey, registration);
    expect(ok(checkIn(world.deps, secret, "staff:2")).alreadyCheckedIn).toBe(false);
    expect(ok(checkIn(world.deps, secret, "staff:2")).alreadyCheckedIn).toBe(true);
    expect(row(registration.id).checkedInAt).not.toBeNull();
    expect(checkIn(world.deps, "forged", "staff:2")).toEqual({ ok: false, reason: "not_found", detail: "unknown ticket" });
  });

  it("exports the attendee's data without secrets", () => {
    world = registrationWorld();
    const { registration } = registerConfirmed();
    const data = personalData(world.db, row(registration.id));
    expect(data.registration.email).toBe(registration.email);
    expect(JSON.stringify(data)).not.toContain(registration.ticketHash);
    expect(JSON.stringify(data)).not.toContain(registration.ticketNonce);
    expect(data.history.map((h) => h.toStatus)).toEqual(["pending_email", "confirmed"]);
  });
});

describe("erasure and retention", () => {
  it("erasing deletes the registration, its history, links and mail, and frees its seat for the next", () => {
    world = registrationWorld({ byCategory: { industry: 1 } });
    const a = registerConfirmed();
    const b = registerConfirmed();
    erase(world.deps, a.registration.id);
    expect(world.db.select().from(registrations).where(eq(registrations.id, a.registration.id)).get()).toBeUndefined();
    expect(world.db.select().from(registrationEvents).where(eq(registrationEvents.registrationId, a.registration.id)).all()).toEqual([]);
    expect(world.db.select().from(registrationTokens).where(eq(registrationTokens.registrationId, a.registration.id)).all()).toEqual([]);
    expect(world.mailTo(a.email)).toEqual([]);
    expect(row(b.registration.id).status).toBe("confirmed");
    expect(templates(b.email).at(-1)).toBe("registration.promoted");
  });

  it("deletes every registration once the retention period after the event is over, not before", () => {
    world = registrationWorld();
    registerConfirmed();
    registerConfirmed({ category: "law-enforcement" });
    world.clock.now = purgeDate(world.edition) - 1;
    expect(purgeAfterEvent(world.deps)).toBe(0);
    expect(world.db.select().from(registrations).all()).toHaveLength(2);
    world.clock.now = purgeDate(world.edition);
    expect(purgeAfterEvent(world.deps)).toBe(2);
    expect(world.db.select().from(registrations).all()).toEqual([]);
    expect(world.mail()).toEqual([]);
    // A registration made after that date (only possible for a past demo edition) is kept.
    world.clock.now = purgeDate(world.edition) + 86_400_000;
    registerConfirmed();
    expect(purgeAfterEvent(world.deps)).toBe(0);
    expect(world.db.select().from(registrations).all()).toHaveLength(1);
    // 180 days after 3 July 2013, the day after.
    expect(new Date(purgeDate(world.edition)).toISOString().slice(0, 10)).toBe("2013-12-31");
  });
});
