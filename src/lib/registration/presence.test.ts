import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, checkinPresence, checkinScans, registrations, webhookEvents } from "../../../db/schema/index.ts";
import { createEndpoint } from "../webhooks/endpoints.ts";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/events.ts";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";
import { attendanceDays } from "./certificate.ts";
import { checkInAtDesk } from "./checkin.ts";
import { deskCounts, deskRoster, forumDay, scanAtDesk } from "./desk.ts";
import { entryExitMode, presenceCounts, presenceDays, presenceOf, setEntryExitMode } from "./presence.ts";
import { cancel, personalData, ticketSecretOf } from "./service.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

const staff = { id: 7, email: "door@example.org" };
const row = (id: number) => world.db.select().from(registrations).where(eq(registrations.id, id)).get()!;
const secret = (id: number) => ticketSecretOf(world.deps.appKey, row(id));
const audit = (action: string) => world.db.select().from(auditLog).where(eq(auditLog.action, action)).all();
const today = () => forumDay(world.clock.now, "Europe/Paris");
let n = 0;
const scan = (code: string, direction: "entry" | "exit", overrides: Partial<{ nonce: string; at: number; desk: string }> = {}) =>
  scanAtDesk(world.deps, staff, {
    nonce: `door-nonce-${String(++n).padStart(12, "0")}`,
    code,
    at: world.clock.now,
    desk: "North",
    direction,
    ...overrides,
  });

function counting() {
  world = registrationWorld();
  setEntryExitMode(world.db, staff, true, world.clock.now);
}

describe("entry and exit, off", () => {
  it("is off until an organizer turns it on; a desk's exit is then an admission like any scan, and nothing is counted", () => {
    world = registrationWorld();
    expect(entryExitMode(world.db)).toBe(false);
    const id = world.register();
    const first = scan(secret(id), "exit");
    expect(first).toMatchObject({ outcome: "admitted", replayed: false });
    expect(first).not.toHaveProperty("direction");
    expect(first.attendee).not.toHaveProperty("inside");
    expect(scan(secret(id), "exit").outcome).toBe("already");
    expect(scan(secret(id), "entry").outcome).toBe("already");
    expect(world.db.select().from(checkinPresence).all()).toEqual([]);
    expect(world.db.select({ d: checkinScans.direction }).from(checkinScans).all()).toEqual([
      { d: "entry" },
      { d: "entry" },
      { d: "entry" },
    ]);
    expect(deskCounts(world.db)).not.toHaveProperty("inside");
    expect(Object.keys(deskRoster(world.db)[0]).sort()).toEqual([
      "category",
      "checkedInAt",
      "desk",
      "hash",
      "id",
      "name",
      "organisation",
      "state",
    ]);
  });

  it("is turned on and off with an audit entry, once per change", () => {
    world = registrationWorld();
    expect(setEntryExitMode(world.db, staff, true)).toEqual({ changed: true });
    expect(setEntryExitMode(world.db, staff, true)).toEqual({ changed: false });
    expect(entryExitMode(world.db)).toBe(true);
    expect(setEntryExitMode(world.db, staff, false)).toEqual({ changed: true });
    expect(entryExitMode(world.db)).toBe(false);
    expect(audit("checkin.entry_exit").map((a) => a.after)).toEqual([{ entryExit: true }, { entryExit: false }]);
  });
});

describe("entry and exit, on", () => {
  it("admits on the first entry (one admission row), lets out, lets in again, and counts each", () => {
    counting();
    const id = world.register({ name: "Iris Inside", category: "industry" });
    const t0 = world.clock.now;
    expect(scan(secret(id), "entry")).toMatchObject({
      outcome: "admitted",
      direction: "entry",
      attendee: { id, inside: true, presenceAt: t0, presenceDesk: "North", checkedInAt: t0 },
    });
    expect(presenceOf(world.db, id, today())).toEqual({ inside: true, since: t0, desk: "North", entries: 1, exits: 0 });
    expect(scan(secret(id), "entry")).toMatchObject({ outcome: "already_inside", attendee: { inside: true, presenceAt: t0 } });
    world.clock.now += 60_000;
    expect(scan(secret(id), "exit", { desk: "South" })).toMatchObject({
      outcome: "exited",
      direction: "exit",
      attendee: { inside: false, presenceAt: world.clock.now, presenceDesk: "South" },
    });
    expect(row(id).updatedAt.getTime()).toBe(world.clock.now);
    expect(scan(secret(id), "exit")).toMatchObject({ outcome: "not_inside", attendee: { inside: false, presenceDesk: "South" } });
    world.clock.now += 60_000;
    expect(scan(secret(id), "entry")).toMatchObject({ outcome: "entered", attendee: { inside: true, checkedInAt: t0 } });
    expect(presenceOf(world.db, id, today())).toMatchObject({ inside: true, entries: 2, exits: 1 });
    // The badge and certificate keep their one admission; only the first entry wrote it.
    expect(world.db.select().from(checkinScans).where(eq(checkinScans.outcome, "admitted")).all()).toHaveLength(1);
    expect(audit("registration.checkin")).toHaveLength(1);
    expect(
      world.db
        .select({ o: checkinScans.outcome, d: checkinScans.direction })
        .from(checkinScans)
        .all()
        .map((s) => `${s.d}:${s.o}`),
    ).toEqual(["entry:admitted", "entry:already_inside", "exit:exited", "exit:not_inside", "entry:entered"]);
    expect(presenceCounts(world.db, today())).toEqual({
      inside: 1,
      entries: 2,
      exits: 1,
      people: 1,
      byCategory: { industry: { inside: 1, entries: 2, exits: 1, people: 1 } },
    });
  });

  it("counts people inside per category and overall, on the desk's counts, and per day", () => {
    counting();
    const a = world.register({ category: "industry", email: "a@example.org" });
    const b = world.register({ category: "industry", email: "b@example.org" });
    const c = world.register({ category: "researcher", email: "c@example.org" });
    for (const id of [a, b, c]) scan(secret(id), "entry");
    scan(secret(b), "exit");
    const counts = deskCounts(world.db, today());
    expect(counts.inside).toEqual({ inside: 2, entries: 3, exits: 1, people: 3 });
    expect(counts.byCategory.industry).toEqual({ in: 2, expected: 2, inside: { inside: 1, entries: 2, exits: 1, people: 2 } });
    expect(counts.byCategory.researcher.inside).toEqual({ inside: 1, entries: 1, exits: 0, people: 1 });
    // The next day starts empty: people admitted the day before come in with an entry, not an admission.
    world.clock.now += 24 * 3600_000;
    expect(deskCounts(world.db, today()).inside).toEqual({ inside: 0, entries: 0, exits: 0, people: 0 });
    expect(scan(secret(a), "exit").outcome).toBe("not_inside");
    expect(scan(secret(a), "entry")).toMatchObject({ outcome: "entered", attendee: { inside: true } });
    expect(presenceDays(world.db).map((d) => [d.day, d.inside, d.entries, d.exits, d.people])).toEqual([
      ["2013-06-02", 1, 1, 0, 1],
      ["2013-06-01", 2, 3, 1, 3],
    ]);
    // Certificates count the days with an entry, the second day's included.
    expect(attendanceDays(world.db, a, "Europe/Paris")).toEqual(["2013-06-01", "2013-06-02"]);
    // The attendee's own download holds what the doors recorded.
    expect(personalData(world.db, row(a)).doors).toEqual([
      { day: "2013-06-01", entries: 1, exits: 0, inside: true, lastAt: new Date(world.clock.now - 24 * 3600_000) },
      { day: "2013-06-02", entries: 1, exits: 0, inside: true, lastAt: new Date(world.clock.now) },
    ]);
    const never = world.register({ email: "never@example.org" });
    expect(personalData(world.db, row(never))).not.toHaveProperty("doors");
  });

  it("answers a replayed exit with its first answer and changes nothing", () => {
    counting();
    const id = world.register();
    scan(secret(id), "entry");
    const exit = scan(secret(id), "exit", { nonce: "replayed-exit-0123456789" });
    scan(secret(id), "entry");
    const again = scan(secret(id), "exit", { nonce: "replayed-exit-0123456789" });
    expect(exit.outcome).toBe("exited");
    expect(again).toMatchObject({ outcome: "exited", replayed: true, direction: "exit", attendee: { inside: true } });
    expect(presenceOf(world.db, id, today())).toMatchObject({ inside: true, entries: 2, exits: 1 });
  });

  it("refuses the exit of a cancelled or unknown ticket with an audit entry, but lets out someone cancelled while inside", () => {
    counting();
    const never = world.register({ name: "Nora Never", email: "nora@example.org" });
    cancel(world.deps, never, "attendee");
    expect(scan(secret(never), "exit")).toMatchObject({ outcome: "refused", reason: "cancelled", direction: "exit" });
    expect(scan("B".repeat(43), "exit")).toMatchObject({ outcome: "refused", reason: "not_found" });
    expect(scan("not a ticket", "exit")).toMatchObject({ outcome: "refused", reason: "malformed" });
    expect(scan(secret(never), "exit", { at: world.clock.now - 24 * 3600_000 })).toMatchObject({ outcome: "refused", reason: "stale" });
    expect(audit("registration.checkin_refused").map((a) => (a.after as { reason: string; direction: string }).direction)).toEqual([
      "exit",
      "exit",
      "exit",
      "exit",
    ]);
    expect(world.db.select().from(checkinPresence).all()).toEqual([]);
    const inside = world.register({ name: "Ivo Inside", email: "ivo@example.org" });
    scan(secret(inside), "entry");
    cancel(world.deps, inside, "attendee");
    expect(scan(secret(inside), "entry")).toMatchObject({ outcome: "refused", reason: "cancelled" });
    expect(scan(secret(inside), "exit")).toMatchObject({ outcome: "exited", attendee: { state: "cancelled", inside: false } });
    expect(presenceCounts(world.db, today()).inside).toBe(0);
  });

  it("works the same through the desk's forms (no JavaScript): entry, exit, re-entry, and refusals audited", () => {
    counting();
    const id = world.register({ name: "Fay Form" });
    const key = { ticketSecret: secret(id) };
    expect(checkInAtDesk(world.deps, staff, key, "1", "exit")).toMatchObject({ ok: true, outcome: "not_inside" });
    expect(checkInAtDesk(world.deps, staff, key, "1", "entry")).toMatchObject({ ok: true, outcome: "admitted" });
    expect(checkInAtDesk(world.deps, staff, { id }, "1", "entry")).toMatchObject({ ok: true, outcome: "already_inside" });
    expect(checkInAtDesk(world.deps, staff, { id }, "2", "exit")).toMatchObject({ ok: true, outcome: "exited" });
    expect(checkInAtDesk(world.deps, staff, key, "1", "entry")).toMatchObject({ ok: true, outcome: "entered" });
    expect(presenceOf(world.db, id, today())).toMatchObject({ inside: true, entries: 2, exits: 1, desk: "1" });
    expect(checkInAtDesk(world.deps, staff, { ticketSecret: "C".repeat(43) }, "1", "exit")).toEqual({ ok: false, reason: "not_found" });
    expect(audit("registration.checkin_refused")).toHaveLength(1);
    setEntryExitMode(world.db, staff, false);
    expect(checkInAtDesk(world.deps, staff, key, "1", "exit")).toMatchObject({ ok: true, outcome: "already" });
    expect(presenceOf(world.db, id, today())).toMatchObject({ inside: true, entries: 2, exits: 1 });
  });

  it("holds who is inside today in the roster", () => {
    counting();
    const a = world.register({ name: "Ann", email: "ann@example.org" });
    world.register({ name: "Bob", email: "bob@example.org" });
    scan(secret(a), "entry");
    const roster = deskRoster(world.db, undefined, today());
    expect(roster.map((r) => [r.name, r.inside, r.presenceDesk])).toEqual([
      ["Ann", true, "North"],
      ["Bob", false, null],
    ]);
  });

  it("tells webhooks of the first admission only, by a scan or a form; exits and entries after it are not events", () => {
    counting();
    createEndpoint(world.db, world.deps.appKey, staff, {
      url: "https://hooks.example.org/",
      description: "",
      events: [...WEBHOOK_EVENT_TYPES],
    });
    const scanned = world.register({ email: "scanned@example.org" });
    const formed = world.register({ email: "formed@example.org" });
    const checkedIn = () =>
      world.db
        .select({ body: webhookEvents.body })
        .from(webhookEvents)
        .orderBy(sql`rowid`)
        .all()
        .map((e) => JSON.parse(e.body) as { type: string; data: { registration: number } })
        .filter((e) => e.type === "registration.checked_in")
        .map((e) => e.data.registration);
    // An exit before any admission lets no one in and tells no one.
    expect(scan(secret(scanned), "exit").outcome).toBe("not_inside");
    expect(checkedIn()).toEqual([]);
    expect(scan(secret(scanned), "entry").outcome).toBe("admitted");
    expect(checkInAtDesk(world.deps, staff, { id: formed }, "1", "entry")).toMatchObject({ ok: true, outcome: "admitted" });
    expect(checkedIn()).toEqual([scanned, formed]);
    world.clock.now += 60_000;
    expect(scan(secret(scanned), "exit").outcome).toBe("exited");
    expect(checkInAtDesk(world.deps, staff, { id: formed }, "1", "exit")).toMatchObject({ ok: true, outcome: "exited" });
    expect(scan(secret(scanned), "entry").outcome).toBe("entered");
    expect(checkInAtDesk(world.deps, staff, { id: formed }, "1", "entry")).toMatchObject({ ok: true, outcome: "entered" });
    // The next day's first entry is an entry, not a second admission.
    world.clock.now += 24 * 3600_000;
    expect(scan(secret(scanned), "entry").outcome).toBe("entered");
    expect(checkedIn()).toEqual([scanned, formed]);
  });
});
