import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, checkinScans, registrations } from "../../../db/schema/index.ts";
import { ok, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { deskCounts, deskRoster, forumDay, scanAtDesk, scanSchema } from "./desk.ts";
import { cancel, ticketSecretOf } from "./service.ts";
import { ticketCode } from "./ticket-document.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

const staff = { id: 7, email: "desk@example.org" };
const row = (id: number) => world.db.select().from(registrations).where(eq(registrations.id, id)).get()!;
const secret = (id: number) => ticketSecretOf(world.deps.appKey, row(id));
const audit = (action: string) => world.db.select().from(auditLog).where(eq(auditLog.action, action)).all();
let n = 0;
const scan = (code: string, overrides: Partial<{ nonce: string; at: number; desk: string }> = {}) =>
  scanAtDesk(world.deps, staff, { nonce: `nonce-${String(++n).padStart(12, "0")}`, code, at: world.clock.now, desk: "2", ...overrides });

describe("a scan at the desk", () => {
  it("admits a confirmed ticket once, at the time it was read and with its desk; the next scan says already", () => {
    world = registrationWorld();
    const id = world.register({ name: "Ada Desk", organisation: "Org A", category: "industry" });
    const readAt = world.clock.now - 60_000;
    const first = scan(secret(id), { at: readAt, desk: "3" });
    expect(first).toMatchObject({
      outcome: "admitted",
      replayed: false,
      attendee: { id, name: "Ada Desk", organisation: "Org A", category: "industry", desk: "3", checkedInAt: readAt },
    });
    expect(row(id).checkedInAt?.getTime()).toBe(readAt);
    // The row changed now (desks polling for changes see it), though the check-in is a minute old.
    expect(row(id).updatedAt.getTime()).toBe(world.clock.now);
    const second = scan(secret(id), { desk: "1" });
    expect(second).toMatchObject({ outcome: "already", attendee: { desk: "3", checkedInAt: readAt } });
    expect(audit("registration.checkin")).toHaveLength(1);
    expect(
      world.db
        .select()
        .from(checkinScans)
        .all()
        .map((s) => s.outcome),
    ).toEqual(["admitted", "already"]);
  });

  it("answers a nonce sent again with its first answer, changing nothing", () => {
    world = registrationWorld();
    const id = world.register();
    const first = scan(secret(id), { nonce: "same-nonce-0123456789" });
    world.clock.now += 5000;
    const again = scan(secret(id), { nonce: "same-nonce-0123456789" });
    expect(first.outcome).toBe("admitted");
    expect(again).toMatchObject({ outcome: "admitted", replayed: true, attendee: { id } });
    expect(world.db.select().from(checkinScans).all()).toHaveLength(1);
    expect(audit("registration.checkin")).toHaveLength(1);
  });

  it("accepts the code printed under the QR code, typed by hand", () => {
    world = registrationWorld();
    const id = world.register();
    expect(scan(ticketCode(row(id).ticketHash).toLowerCase())).toMatchObject({ outcome: "admitted", attendee: { id } });
  });

  it("refuses with the reason, changes nothing, and writes an audit entry without the code read", () => {
    world = registrationWorld();
    const cancelled = world.register({ name: "Carl Cancelled", email: "carl@example.org" });
    ok(cancel(world.deps, cancelled, "attendee"));
    const pending = world.register({ name: "Pat Pending", email: "pat@example.org" }, { confirm: false });
    const unknown = "A".repeat(43);
    expect(scan(secret(cancelled))).toMatchObject({ outcome: "refused", reason: "cancelled", attendee: { name: "Carl Cancelled" } });
    expect(scan(secret(pending))).toMatchObject({ outcome: "refused", reason: "pending_email" });
    expect(scan(unknown)).toMatchObject({ outcome: "refused", reason: "not_found" });
    for (const junk of ["https://evil.example/?t=1", "x".repeat(10_000), "\u0000\u0001\u00ff binary", "", "DROP TABLE registrations;"])
      expect(scan(junk), junk.slice(0, 20)).toMatchObject({ outcome: "refused", reason: "malformed" });
    expect(row(cancelled).checkedInAt).toBeNull();
    expect(row(pending).checkedInAt).toBeNull();
    const refusals = audit("registration.checkin_refused");
    expect(refusals.map((a) => (a.after as { reason: string }).reason)).toEqual([
      "cancelled",
      "pending_email",
      "not_found",
      "malformed",
      "malformed",
      "malformed",
      "malformed",
      "malformed",
    ]);
    expect(JSON.stringify(refusals)).not.toContain(unknown);
    expect(JSON.stringify(refusals)).not.toContain(secret(cancelled));
  });

  it("refuses a scan read on another day (a queue replayed the next morning)", () => {
    world = registrationWorld();
    const id = world.register();
    const yesterday = world.clock.now - 24 * 3600_000;
    expect(scan(secret(id), { at: yesterday })).toMatchObject({ outcome: "refused", reason: "stale", attendee: { id } });
    expect(row(id).checkedInAt).toBeNull();
    // A clock ahead of the server's is not believed beyond the server's own time.
    expect(scan(secret(id), { at: world.clock.now + 3600_000 })).toMatchObject({
      outcome: "admitted",
      attendee: { checkedInAt: world.clock.now },
    });
  });

  it("checks a nonce's shape", () => {
    expect(scanSchema.safeParse({ nonce: "short", code: "x", at: 1 }).success).toBe(false);
    expect(scanSchema.safeParse({ nonce: "a".repeat(20), code: "x", at: 1 }).success).toBe(true);
    expect(forumDay(Date.UTC(2013, 6, 1, 22, 30), "Europe/Paris")).toBe("2013-07-02");
  });
});

describe("the desk's roster and counts", () => {
  it("holds what the desk shows, for every registration past e-mail confirmation, and what changed since", () => {
    world = registrationWorld();
    const a = world.register({ name: "Ann", category: "industry", dietary: "vegan" });
    const b = world.register({ name: "Ben", category: "researcher", email: "ben@example.org" });
    world.register({ name: "Pending", email: "p@example.org" }, { confirm: false });
    const roster = deskRoster(world.db);
    expect(roster.map((r) => r.name).sort()).toEqual(["Ann", "Ben"]);
    expect(Object.keys(roster[0]).sort()).toEqual(["category", "checkedInAt", "desk", "hash", "id", "name", "organisation", "state"]);
    expect(roster.find((r) => r.id === a)!.hash).toBe(row(a).ticketHash);
    expect(JSON.stringify(roster)).not.toContain("vegan");
    const since = world.clock.now;
    world.clock.now += 1000;
    scan(secret(b));
    expect(deskRoster(world.db, since).map((r) => [r.name, r.desk])).toEqual([["Ben", "2"]]);
    expect(deskCounts(world.db)).toEqual({
      byCategory: { industry: { in: 0, expected: 1 }, researcher: { in: 1, expected: 1 } },
      in: 1,
      expected: 2,
    });
  });
});
