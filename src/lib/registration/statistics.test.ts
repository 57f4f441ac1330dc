import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { registrations } from "../../../db/schema/index.ts";
import { ok, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { cancel, checkIn, ticketSecretOf } from "./service.ts";
import { byCategory, byCountry, byDay, byState, registrationStatistics, totals } from "./statistics.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

describe("statistics of registrations", () => {
  it("are empty, every configured category and state listed, on an empty database", () => {
    world = registrationWorld();
    expect(registrationStatistics(world.db, world.edition)).toEqual({
      totals: { registrations: 0, taken: 0, checkedIn: 0 },
      byCategory: [
        { category: "law-enforcement", registrations: 0, taken: 0, capacity: 250, waiting: 0 },
        { category: "industry", registrations: 0, taken: 0, capacity: 180, waiting: 0 },
        { category: "researcher", registrations: 0, taken: 0, capacity: 100, waiting: 0 },
        { category: "policy-maker", registrations: 0, taken: 0, capacity: 70, waiting: 0 },
      ],
      byState: [
        { state: "pending_email", registrations: 0 },
        { state: "pending_review", registrations: 0 },
        { state: "confirmed", registrations: 0 },
        { state: "waitlisted", registrations: 0 },
        { state: "rejected", registrations: 0 },
        { state: "cancelled", registrations: 0 },
      ],
      byCountry: { top: [], other: { registrations: 0, countries: 0 } },
      byDay: [],
    });
  });

  it("count registrations, seats taken against capacity and the waiting list per category, and each state", () => {
    world = registrationWorld({ byCategory: { industry: 2 } });
    const first = world.register({ category: "industry" });
    world.register({ category: "industry" });
    world.register({ category: "industry" }); // no seat left: waiting list
    world.register({ category: "law-enforcement" }); // under review
    world.register({ category: "researcher" }, { confirm: false }); // address not confirmed
    ok(cancel(world.deps, world.register({ category: "policy-maker" }), "attendee"));
    const ticket = world.db.select().from(registrations).where(eq(registrations.id, first)).get()!;
    ok(checkIn(world.deps, ticketSecretOf(world.deps.appKey, ticket), "staff:1"));

    expect(byCategory(world.db, world.edition)).toEqual([
      { category: "law-enforcement", registrations: 1, taken: 0, capacity: 250, waiting: 0 },
      { category: "industry", registrations: 3, taken: 2, capacity: 2, waiting: 1 },
      { category: "researcher", registrations: 1, taken: 0, capacity: 100, waiting: 0 },
      { category: "policy-maker", registrations: 1, taken: 0, capacity: 70, waiting: 0 },
    ]);
    expect(byState(world.db)).toEqual([
      { state: "pending_email", registrations: 1 },
      { state: "pending_review", registrations: 1 },
      { state: "confirmed", registrations: 2 },
      { state: "waitlisted", registrations: 1 },
      { state: "rejected", registrations: 0 },
      { state: "cancelled", registrations: 1 },
    ]);
    expect(totals(world.db)).toEqual({ registrations: 6, taken: 2, checkedIn: 1 });
  });

  it("list a category the edition no longer has after the configured ones, without a capacity", () => {
    world = registrationWorld();
    const id = world.register({ category: "researcher" });
    world.db.update(registrations).set({ category: "press" }).where(eq(registrations.id, id)).run();
    expect(byCategory(world.db, world.edition).at(-1)).toEqual({
      category: "press",
      registrations: 1,
      taken: 1,
      capacity: null,
      waiting: 0,
    });
    expect(byCategory(world.db, world.edition).find((c) => c.category === "researcher")?.registrations).toBe(0);
  });

  it("count countries, most first (ties by code), and add up the rest", () => {
    world = registrationWorld();
    for (const country of ["FR", "FR", "FR", "DE", "DE", "BE", "IT", "IT", "ES"]) world.register({ country });
    expect(byCountry(world.db, 3)).toEqual({
      top: [
        { country: "FR", registrations: 3 },
        { country: "DE", registrations: 2 },
        { country: "IT", registrations: 2 },
      ],
      other: { registrations: 2, countries: 2 },
    });
    expect(byCountry(world.db).other).toEqual({ registrations: 0, countries: 0 });
    expect(byCountry(world.db).top).toHaveLength(5);
  });

  it("count days of registration in the edition's time zone, days without any as zero", () => {
    world = registrationWorld();
    // 23:59 in Paris on 1 June (UTC+2), then 00:30 on 2 June, then two on 4 June; none on 3 June.
    world.register({}, { at: Date.UTC(2013, 5, 1, 21, 59) });
    world.register({}, { at: Date.UTC(2013, 5, 1, 22, 30) });
    world.register({}, { at: Date.UTC(2013, 5, 4, 8) });
    world.register({}, { at: Date.UTC(2013, 5, 4, 21, 0) });
    expect(byDay(world.db, "Europe/Paris")).toEqual([
      { day: "2013-06-01", registrations: 1 },
      { day: "2013-06-02", registrations: 1 },
      { day: "2013-06-03", registrations: 0 },
      { day: "2013-06-04", registrations: 2 },
    ]);
    // The same instants in UTC: the first two fall on 1 June.
    expect(byDay(world.db, "UTC")).toEqual([
      { day: "2013-06-01", registrations: 2 },
      { day: "2013-06-02", registrations: 0 },
      { day: "2013-06-03", registrations: 0 },
      { day: "2013-06-04", registrations: 2 },
    ]);
    // A zone a quarter of an hour off the hour: 21:59 UTC is 03:44 the next day in Kathmandu (UTC+5:45).
    expect(byDay(world.db, "Asia/Kathmandu")[0]).toEqual({ day: "2013-06-02", registrations: 2 });
  });

  it("do not fill years of empty days between stray dates", () => {
    world = registrationWorld();
    world.register({}, { at: Date.UTC(2001, 0, 1, 12) });
    world.register({}, { at: Date.UTC(2013, 5, 1, 12) });
    expect(byDay(world.db, "Europe/Paris")).toEqual([
      { day: "2001-01-01", registrations: 1 },
      { day: "2013-06-01", registrations: 1 },
    ]);
  });
});
