import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, outbox } from "../../../db/schema/index.ts";
import { ok, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { cancel } from "../registration/service.ts";
import {
  announcementFields,
  announcementRecipients,
  DEFAULT_FILTERS,
  draftOf,
  isPreviewProof,
  newAnnouncementKey,
  previewProof,
  queueAnnouncement,
  type AnnouncementDraft,
} from "./announcement.ts";
import { z } from "zod";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());
const staff = { id: 7, email: "organizer@example.org" };

const draft = (filters: Partial<AnnouncementDraft["filters"]> = {}): AnnouncementDraft => ({
  filters: { ...DEFAULT_FILTERS, ...filters },
  subject: { en: "Practical details", fr: "Informations pratiques" },
  body: { en: "Doors open at 8:30.", fr: "Ouverture des portes à 8 h 30." },
});

const announcements = () =>
  world.db
    .select()
    .from(outbox)
    .where(eq(outbox.template, "announcement"))
    .all()
    .map((m) => ({ recipient: m.recipient, language: m.language, payload: m.payload, registrationId: m.registrationId }));

describe("recipients", () => {
  it("follow the registrations list's filters, confirmed by default, never an unconfirmed address, once per address", () => {
    world = registrationWorld();
    const a = world.register({ email: "a@example.org", country: "FR" });
    const b = world.register({ email: "b@example.org", country: "DE", language: "fr" });
    world.register({ email: "c@example.org", category: "law-enforcement" }); // pending review
    world.register({ email: "d@example.org" }, { confirm: false }); // unconfirmed address
    const cancelled = world.register({ email: "e@example.org" });
    ok(cancel(world.deps, cancelled, "attendee"));
    const again = world.register({ email: "e@example.org" }); // registered again after cancelling

    const emails = (filters: Partial<AnnouncementDraft["filters"]>) =>
      announcementRecipients(world.db, { ...DEFAULT_FILTERS, ...filters }).map((r) => r.email);
    expect(emails({})).toEqual(["e@example.org", "b@example.org", "a@example.org"]);
    expect(emails({ country: "DE" })).toEqual(["b@example.org"]);
    expect(emails({ category: "law-enforcement" })).toEqual([]);
    expect(emails({ category: "law-enforcement", status: "pending_review" })).toEqual(["c@example.org"]);
    expect(emails({ status: "cancelled" })).toEqual(["e@example.org"]);
    // Every state but an unconfirmed address; the newest registration of an address only.
    const all = announcementRecipients(world.db, { ...DEFAULT_FILTERS, status: "" });
    expect(all.map((r) => r.email)).toEqual(["e@example.org", "c@example.org", "b@example.org", "a@example.org"]);
    expect(all[0]).toMatchObject({ registrationId: again, language: "en", name: "Ada Example" });
    expect(all.find((r) => r.email === "b@example.org")).toMatchObject({ registrationId: b, language: "fr" });
    expect(all.find((r) => r.email === "a@example.org")?.registrationId).toBe(a);
  });
});

describe("the compose form", () => {
  it("checks filters, requires both languages, trims and normalizes the text", () => {
    world = registrationWorld();
    const schema = z.object(announcementFields(world.edition));
    const ok = schema.safeParse({
      category: "industry",
      status: "confirmed",
      country: "fr",
      verified: "",
      subjectEn: "  Hello\u2028there ",
      bodyEn: "Line one  \r\nline two\r\n\r\n",
      subjectFr: "Bonjour",
      bodyFr: "Texte",
    });
    expect(ok.success && ok.data).toEqual({
      category: "industry",
      status: "confirmed",
      country: "FR",
      verified: "",
      subjectEn: "Hello there",
      bodyEn: "Line one\nline two",
      subjectFr: "Bonjour",
      bodyFr: "Texte",
    });
    const bad = schema.safeParse({
      category: "nope",
      status: "pending_email",
      country: "France",
      verified: "maybe",
      subjectEn: null,
      bodyEn: "x".repeat(5001),
      subjectFr: "Bonjour\u202e",
      bodyFr: "   ",
    });
    expect(bad.success).toBe(false);
    const messages = Object.fromEntries(bad.error!.issues.map((i) => [i.path.join("."), i.message]));
    expect(messages).toEqual({
      category: "unknownCategory",
      status: "invalid",
      country: "unknownCountry",
      verified: "invalid",
      subjectEn: "required",
      bodyEn: "tooLong:5000",
      subjectFr: "invalidCharacters",
      bodyFr: "required",
    });
  });
});

describe("the preview proof", () => {
  it("binds the exact draft, filters included, to its key and the application key", () => {
    const key = newAnnouncementKey();
    const appKey = randomBytes(32);
    const proof = previewProof(appKey, draft(), key);
    expect(isPreviewProof(appKey, draft(), key, proof)).toBe(true);
    expect(isPreviewProof(appKey, draft({ country: "DE" }), key, proof)).toBe(false);
    expect(isPreviewProof(appKey, { ...draft(), body: { en: "Doors open at 8:30.", fr: "Autre" } }, key, proof)).toBe(false);
    expect(isPreviewProof(appKey, draft(), newAnnouncementKey(), proof)).toBe(false);
    expect(isPreviewProof(randomBytes(32), draft(), key, proof)).toBe(false);
    expect(isPreviewProof(appKey, draft(), key, "")).toBe(false);
  });
});

describe("queueing", () => {
  it("queues one message per recipient in their language, with the audit entry, and nothing again under the same key", () => {
    world = registrationWorld();
    const a = world.register({ email: "a@example.org", name: "Ada", country: "IS" });
    const b = world.register({ email: "b@example.org", name: "Béa", country: "IS", language: "fr" });
    world.register({ email: "c@example.org", country: "NO" });
    const key = newAnnouncementKey();
    const message = draft({ country: "IS" });

    expect(queueAnnouncement(world.db, staff, message, key, world.clock.now)).toEqual({ ok: true, recipients: 2 });
    expect(announcements()).toEqual([
      {
        recipient: "b@example.org",
        language: "fr",
        payload: { name: "Béa", subject: "Informations pratiques", body: "Ouverture des portes à 8 h 30." },
        registrationId: b,
      },
      {
        recipient: "a@example.org",
        language: "en",
        payload: { name: "Ada", subject: "Practical details", body: "Doors open at 8:30." },
        registrationId: a,
      },
    ]);
    const audit = world.db.select().from(auditLog).all();
    expect(audit).toMatchObject([
      {
        actorId: 7,
        actorEmail: "organizer@example.org",
        action: "mail.announcement",
        subjectType: "announcement",
        subjectId: key,
        before: null,
        after: {
          filters: { category: "", status: "confirmed", country: "IS", verified: "" },
          recipients: 2,
          subjectEn: "Practical details",
        },
      },
    ]);

    expect(queueAnnouncement(world.db, staff, message, key, world.clock.now)).toEqual({ ok: false, reason: "already_sent", recipients: 2 });
    expect(announcements()).toHaveLength(2);
    expect(world.db.select().from(auditLog).all()).toHaveLength(1);
    // A new preview (a new key) is a new message.
    expect(queueAnnouncement(world.db, staff, message, newAnnouncementKey(), world.clock.now)).toEqual({ ok: true, recipients: 2 });
    expect(announcements()).toHaveLength(4);
  });

  it("queues nothing, and records nothing, when nobody matches", () => {
    world = registrationWorld();
    world.register({ country: "FR" });
    expect(queueAnnouncement(world.db, staff, draft({ country: "IS" }), newAnnouncementKey())).toEqual({
      ok: false,
      reason: "no_recipients",
    });
    expect(announcements()).toEqual([]);
    expect(world.db.select().from(auditLog).all()).toEqual([]);
  });

  it("parses a form into the draft it describes", () => {
    expect(
      draftOf({
        category: "industry",
        status: "",
        country: "FR",
        verified: "yes",
        subjectEn: "S",
        bodyEn: "B",
        subjectFr: "O",
        bodyFr: "T",
      }),
    ).toEqual({
      filters: { category: "industry", status: "", country: "FR", verified: "yes" },
      subject: { en: "S", fr: "O" },
      body: { en: "B", fr: "T" },
    });
  });
});
