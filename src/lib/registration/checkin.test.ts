import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, registrationEvents, registrations } from "../../../db/schema/index.ts";
import { ok, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { checkInAtDesk, deskAttendee, searchDesk } from "./checkin.ts";
import { ticketCode } from "./ticket-document.ts";
import { cancel, reject, ticketSecretOf } from "./service.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

const staff = { id: 7, email: "desk@example.org" };
const row = (id: number) => world.db.select().from(registrations).where(eq(registrations.id, id)).get()!;
const audit = () => world.db.select().from(auditLog).all();
const events = (id: number) => world.db.select().from(registrationEvents).where(eq(registrationEvents.registrationId, id)).all();

describe("searching at the desk", () => {
  it("finds confirmed registrations by name, e-mail or organisation, accents and case ignored", () => {
    world = registrationWorld();
    const elodie = world.register({ name: "Élodie Lefèvre", organisation: "Gendarmerie de Lyon", email: "e.lefevre@example.org" });
    const bjorn = world.register({ name: "Björn Åström", organisation: "Ériksson AB", email: "bjorn@example.se" });
    world.register({ name: "Elodie Pending", organisation: "Other" }, { confirm: false });
    expect(searchDesk(world.db, "elodie").map((a) => a.id)).toEqual([elodie]);
    expect(searchDesk(world.db, "LEFEVRE").map((a) => a.id)).toEqual([elodie]);
    expect(searchDesk(world.db, "bjorn astrom").map((a) => a.id)).toEqual([bjorn]);
    expect(searchDesk(world.db, "eriksson").map((a) => a.id)).toEqual([bjorn]);
    expect(searchDesk(world.db, "example.se").map((a) => a.id)).toEqual([bjorn]);
    expect(searchDesk(world.db, "GENDARMERIE").map((a) => a.id)).toEqual([elodie]);
    // LIKE's own wildcards are plain characters here.
    expect(searchDesk(world.db, "%")).toEqual([]);
    expect(searchDesk(world.db, "  ")).toEqual([]);
  });

  it("finds a ticket by the readable code printed under its QR code, hyphens or not", () => {
    world = registrationWorld();
    const ada = world.register({ name: "Ada Example" });
    world.register({ name: "Other Person" });
    const code = ticketCode(row(ada).ticketHash);
    expect(code).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(searchDesk(world.db, code).map((a) => a.id)).toEqual([ada]);
    expect(searchDesk(world.db, ` ${code.replace(/-/g, "").toLowerCase()} `).map((a) => a.id)).toEqual([ada]);
    expect(searchDesk(world.db, "0000-0000-0000")).toEqual([]);
  });

  it("orders what it finds by name in the desk's language", () => {
    world = registrationWorld();
    for (const name of ["Zoë Lambert", "Élodie Lambert", "eve Lambert", "Олег Lambert", "Anna Lambert"]) world.register({ name });
    expect(searchDesk(world.db, "lambert", 20, "fr").map((a) => a.name)).toEqual([
      "Anna Lambert",
      "Élodie Lambert",
      "eve Lambert",
      "Zoë Lambert",
      "Олег Lambert",
    ]);
  });

  it("returns only what the desk needs, checked-in registrations included, at most 20 ordered by name", () => {
    world = registrationWorld();
    const ids = Array.from({ length: 25 }, (_, i) =>
      world.register({ name: `Zoé ${String(25 - i).padStart(2, "0")}`, dietary: "vegan", accessibility: "wheelchair" }),
    );
    checkInAtDesk(world.deps, staff, { id: ids[0] });
    const found = searchDesk(world.db, "zoe");
    expect(found).toHaveLength(20);
    expect(found[0].name).toBe("Zoé 01");
    expect(Object.keys(found[0]).sort()).toEqual(["category", "checkedInAt", "desk", "id", "name", "organisation", "status"]);
    const checkedIn = searchDesk(world.db, "zoe 25");
    expect(checkedIn).toEqual([
      {
        id: ids[0],
        name: "Zoé 25",
        organisation: "Example Org",
        category: "industry",
        status: "confirmed",
        checkedInAt: new Date(world.clock.now),
        desk: "",
      },
    ]);
    expect(JSON.stringify(found)).not.toMatch(/vegan|wheelchair|@/);
  });
});

describe("checking in at the desk", () => {
  it("checks in by ticket and by id, once, with an audit entry naming the staff member", () => {
    world = registrationWorld();
    const byTicket = world.register({ name: "Ada Ticket" });
    const byName = world.register({ name: "Bob Name" });
    const secret = ticketSecretOf(world.deps.appKey, row(byTicket));
    const first = checkInAtDesk(world.deps, staff, { ticketSecret: secret });
    expect(first).toMatchObject({ ok: true, alreadyCheckedIn: false, attendee: { id: byTicket, name: "Ada Ticket" } });
    expect(row(byTicket).checkedInAt?.getTime()).toBe(world.clock.now);
    world.clock.now += 60_000;
    const second = checkInAtDesk(world.deps, staff, { ticketSecret: secret });
    expect(second).toMatchObject({ ok: true, alreadyCheckedIn: true });
    // The first time is kept.
    expect(second.ok && second.attendee.checkedInAt?.getTime()).toBe(world.clock.now - 60_000);
    expect(checkInAtDesk(world.deps, staff, { id: byName })).toMatchObject({ ok: true, alreadyCheckedIn: false });
    expect(checkInAtDesk(world.deps, staff, { id: byName })).toMatchObject({ ok: true, alreadyCheckedIn: true });
    expect(audit()).toMatchObject([
      { actorId: 7, actorEmail: "desk@example.org", action: "registration.checkin", subjectId: String(byTicket), after: { by: "ticket" } },
      { actorId: 7, action: "registration.checkin", subjectId: String(byName), after: { by: "name" } },
    ]);
    expect(events(byName).filter((e) => e.note === "checked in")).toMatchObject([{ actor: "staff:7", toStatus: "confirmed" }]);
    expect(row(byName).status).toBe("confirmed");
  });

  it("refuses registrations that are not confirmed, saying why, and changes nothing", () => {
    world = registrationWorld({ byCategory: { researcher: 0 } });
    const pendingEmail = world.register({ name: "Pat Pending" }, { confirm: false });
    const pendingReview = world.register({ category: "law-enforcement" });
    const waitlisted = world.register({ category: "researcher" });
    const cancelled = world.register();
    ok(cancel(world.deps, cancelled, "attendee"));
    const rejected = world.register({ category: "law-enforcement" });
    ok(reject(world.deps, rejected, "Not eligible", "staff:1"));
    const expected = {
      [pendingEmail]: "pending_email",
      [pendingReview]: "pending_review",
      [waitlisted]: "waitlisted",
      [cancelled]: "cancelled",
      [rejected]: "rejected",
    };
    const eventsBefore = world.db.select().from(registrationEvents).all().length;
    for (const [id, reason] of Object.entries(expected)) {
      expect(row(Number(id)).status).toBe(reason);
      expect(checkInAtDesk(world.deps, staff, { id: Number(id) })).toMatchObject({ ok: false, reason, attendee: { id: Number(id) } });
      const secret = ticketSecretOf(world.deps.appKey, row(Number(id)));
      expect(checkInAtDesk(world.deps, staff, { ticketSecret: secret })).toMatchObject({ ok: false, reason });
      expect(row(Number(id)).checkedInAt).toBeNull();
    }
    expect(checkInAtDesk(world.deps, staff, { ticketSecret: "forged" })).toEqual({ ok: false, reason: "not_found" });
    expect(checkInAtDesk(world.deps, staff, { id: 9999 })).toEqual({ ok: false, reason: "not_found" });
    expect(audit()).toEqual([]);
    expect(world.db.select().from(registrationEvents).all()).toHaveLength(eventsBefore);
  });

  it("shows one registration as the desk sees it", () => {
    world = registrationWorld();
    const id = world.register({ name: "Ada Badge", organisation: "Badge Org", dietary: "vegan" });
    expect(deskAttendee(world.db, id)).toEqual({
      id,
      name: "Ada Badge",
      organisation: "Badge Org",
      category: "industry",
      status: "confirmed",
      checkedInAt: null,
      desk: null,
    });
    expect(deskAttendee(world.db, 9999)).toBeUndefined();
  });
});
