import { and, eq, inArray } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, outbox } from "../../../db/schema/index.ts";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";
import { DEFAULT_FILTERS, queueAnnouncement, type AnnouncementDraft } from "./announcement.ts";
import { activeGroups, getGroup, listGroups, pauseGroup, resumeGroup } from "./groups.ts";
import { claimRequest, recordRequest } from "./outbox.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());
const staff = { id: 7, email: "organizer@example.org" };
const KEY = "0b8f5c7e-3c59-4a55-9d2e-1d4c1f0e9a01";

const draft: AnnouncementDraft = {
  filters: { ...DEFAULT_FILTERS },
  subject: { en: "Practical details", fr: "Informations pratiques" },
  body: { en: "Doors open at 8:30.", fr: "Ouverture des portes à 8 h 30." },
};

/** Five confirmed attendees and an announcement to them. */
function announced() {
  world = registrationWorld();
  for (let i = 0; i < 5; i++) world.register({ email: `a${i}@example.org` });
  expect(queueAnnouncement(world.db, staff, draft, KEY, 1_000)).toEqual({ ok: true, recipients: 5 });
  return world.db
    .select()
    .from(outbox)
    .where(eq(outbox.groupId, KEY))
    .all()
    .map((r) => r.id);
}

describe("group messages", () => {
  it("keeps an announcement's text, filters and author with its messages, and counts where they stand", () => {
    const ids = announced();
    expect(ids).toHaveLength(5);
    const db = world.db;
    // Two sent, one refused for good, two waiting.
    db.update(outbox)
      .set({ state: "sent", providerMessageId: "p" })
      .where(inArray(outbox.id, ids.slice(0, 2)))
      .run();
    db.update(outbox).set({ state: "failed", lastError: "refused" }).where(eq(outbox.id, ids[2]!)).run();
    db.update(outbox).set({ delivery: "bounced" }).where(eq(outbox.id, ids[1]!)).run();
    const group = getGroup(db, KEY)!;
    expect(group).toMatchObject({
      id: KEY,
      kind: "announcement",
      subject: draft.subject,
      body: draft.body,
      filters: { category: "", status: "confirmed", country: "", verified: "" },
      recipients: 5,
      createdBy: "organizer@example.org",
      createdAt: new Date(1_000),
      pausedAt: null,
      counts: { total: 5, sent: 2, waiting: 2, failed: 1, bounced: 1 },
      finished: false,
    });
    expect(activeGroups(db).map((g) => g.id)).toEqual([KEY]);
    expect(listGroups(db)).toMatchObject({ total: 1, page: 1, pages: 1, rows: [{ id: KEY }] });
    db.update(outbox).set({ state: "sent" }).where(eq(outbox.groupId, KEY)).run();
    expect(getGroup(db, KEY)).toMatchObject({ counts: { sent: 5, waiting: 0 }, finished: true });
    expect(activeGroups(db)).toEqual([]);
    expect(listGroups(db).rows).toHaveLength(1);
  });

  it("pauses and resumes with an audit entry each; paused, its new messages wait while others go", () => {
    const ids = announced();
    const db = world.db;
    expect(pauseGroup(db, staff, KEY, 2_000)).toEqual({ ok: true });
    expect(pauseGroup(db, staff, KEY, 2_001)).toEqual({ ok: false, reason: "already_paused" });
    expect(getGroup(db, KEY)).toMatchObject({ pausedAt: new Date(2_000), pausedBy: "organizer@example.org" });
    const audit = db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "mail.group_pause"), eq(auditLog.subjectId, KEY)))
      .all();
    expect(audit).toEqual([
      expect.objectContaining({
        actorId: 7,
        actorEmail: "organizer@example.org",
        subjectType: "mail_group",
        at: new Date(2_000),
        before: { paused: false },
        after: { paused: true, sent: 0, waiting: 5, failed: 0 },
      }),
    ]);
    // The confirmations of the five registrations are long sent; nothing of the group goes now.
    db.update(outbox).set({ state: "sent" }).where(eq(outbox.template, "registration.confirmed")).run();
    expect(claimRequest(db, { now: 3_000, leaseMs: 60_000 })).toEqual({ kind: "idle" });

    expect(resumeGroup(db, staff, KEY, 4_000)).toEqual({ ok: true });
    expect(resumeGroup(db, staff, KEY, 4_001)).toEqual({ ok: false, reason: "not_paused" });
    const resumed = db.select().from(auditLog).where(eq(auditLog.action, "mail.group_resume")).get()!;
    expect(resumed).toMatchObject({
      subjectId: KEY,
      before: { paused: true, pausedBy: "organizer@example.org" },
      after: { paused: false, waiting: 5 },
    });
    const claim = claimRequest(db, { now: 5_000, leaseMs: 60_000 });
    expect(claim.kind === "request" && claim.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  it("finishes a request already made when paused: only what no request carried waits", () => {
    announced();
    const db = world.db;
    db.update(outbox).set({ state: "sent" }).where(eq(outbox.template, "registration.confirmed")).run();
    const first = claimRequest(db, { now: 2_000, leaseMs: 60_000, maxBatch: 2 });
    if (first.kind !== "request") throw new Error("expected a request");
    recordRequest(db, first, { kind: "retry", error: "no answer", nextAttemptAt: 2_500, certain: false }, { now: 2_100 });
    pauseGroup(db, staff, KEY, 2_200);
    const again = claimRequest(db, { now: 3_000, leaseMs: 60_000, maxBatch: 2 });
    expect(again).toMatchObject({ kind: "request", key: first.key });
    expect(claimRequest(db, { now: 3_000, leaseMs: 60_000, maxBatch: 2 })).toEqual({ kind: "idle" });
  });

  it("refuses to pause what is unknown or finished", () => {
    const ids = announced();
    expect(pauseGroup(world.db, staff, "nope", 2_000)).toEqual({ ok: false, reason: "not_found" });
    expect(resumeGroup(world.db, staff, "nope", 2_000)).toEqual({ ok: false, reason: "not_found" });
    world.db.update(outbox).set({ state: "sent" }).where(inArray(outbox.id, ids)).run();
    expect(pauseGroup(world.db, staff, KEY, 2_000)).toEqual({ ok: false, reason: "finished" });
    expect(world.db.select().from(auditLog).where(eq(auditLog.action, "mail.group_pause")).all()).toEqual([]);
  });
});
