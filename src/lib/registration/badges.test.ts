import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { registrations } from "../../../db/schema/index.ts";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";
import { badgeRun, BADGES_PER_RUN, categoryColour, parseBadgeFilter } from "./badges.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

const params = (query: string) => new URLSearchParams(query);

describe("badge print runs", () => {
  it("reads the filter, keeping only what this edition knows", () => {
    world = registrationWorld();
    expect(parseBadgeFilter(params("category=industry&arrival=day:2013-07-03&layout=a4&part=2"), world.edition)).toEqual({
      category: "industry",
      arrival: { kind: "day", day: "2013-07-03" },
      arrivalParam: "day:2013-07-03",
      layout: "a4",
      part: 2,
    });
    // A day outside the forum, an unknown category or layout, a bad part: the defaults.
    expect(parseBadgeFilter(params("category=nope&arrival=day:2013-07-09&layout=a3&part=-1"), world.edition)).toEqual({
      category: "",
      arrival: { kind: "all" },
      arrivalParam: "",
      layout: "a6",
      part: 1,
    });
    expect(parseBadgeFilter(params("arrival=expected"), world.edition).arrival).toEqual({ kind: "expected" });
  });

  it("selects confirmed registrations by category and arrival (the forum's own day), in name order", () => {
    world = registrationWorld();
    const zoe = world.register({ name: "Zoé Zed", category: "industry" });
    const adam = world.register({ name: "Adam Alpha", category: "industry" });
    const eve = world.register({ name: "Ève Early", category: "researcher" });
    world.register({ name: "Una Unconfirmed", category: "industry" }, { confirm: false });
    const set = (id: number, at: string) =>
      world.db
        .update(registrations)
        .set({ checkedInAt: new Date(at) })
        .where(eq(registrations.id, id))
        .run();
    // 00:30 in Lyon on 3 July is still 2 July in UTC: the forum's day counts.
    set(adam, "2013-07-02T22:30:00Z");
    set(eve, "2013-07-02T07:00:00Z");
    const names = (query: string) =>
      badgeRun(world.db, parseBadgeFilter(params(query), world.edition), world.edition.timezone, "fr").badges.map((b) => b.name);
    expect(names("")).toEqual(["Adam Alpha", "Ève Early", "Zoé Zed"]);
    expect(names("category=industry")).toEqual(["Adam Alpha", "Zoé Zed"]);
    expect(names("arrival=expected")).toEqual(["Zoé Zed"]);
    expect(names("arrival=day:2013-07-02")).toEqual(["Ève Early"]);
    expect(names("arrival=day:2013-07-03")).toEqual(["Adam Alpha"]);
    expect(zoe).toBeGreaterThan(0);
  });

  it("cuts a long run into parts", () => {
    world = registrationWorld({ total: 1000, byCategory: { industry: 1000 } });
    for (let i = 0; i < BADGES_PER_RUN + 3; i++)
      world.register({ name: `Person ${String(i).padStart(3, "0")}`, category: "industry" }, { step: 1 });
    const run = (part: number) => badgeRun(world.db, { category: "", arrival: { kind: "all" }, part }, world.edition.timezone, "en");
    expect(run(1)).toMatchObject({ total: BADGES_PER_RUN + 3, parts: 2, part: 1 });
    expect(run(1).badges).toHaveLength(BADGES_PER_RUN);
    expect(run(2).badges.map((b) => b.name)).toEqual(["Person 200", "Person 201", "Person 202"]);
    // A part past the end is the last.
    expect(run(9).part).toBe(2);
  });

  it("gives each category its colour, and the label a colour that reads on it", () => {
    world = registrationWorld();
    expect(categoryColour(world.edition, "industry")).toEqual({ colour: "#9a3412", lightText: true });
    const pale = {
      registration: { ...world.edition.registration, categories: [{ ...world.edition.registration.categories[0], colour: "#fde68a" }] },
    };
    expect(categoryColour(pale, world.edition.registration.categories[0].id)).toEqual({ colour: "#fde68a", lightText: false });
  });
});
