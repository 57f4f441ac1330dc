import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { activeRegistration, registrations } from "../../../db/schema/index.ts";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";

let world: ReturnType<typeof registrationWorld> | undefined;
afterEach(() => world?.close());

describe("the active registration of an address", () => {
  it("is found through the partial unique index, not by reading every active registration", () => {
    world = registrationWorld();
    const query = world.db
      .select()
      .from(registrations)
      .where(and(eq(registrations.email, "a@example.org"), activeRegistration))
      .toSQL();
    const plan = world.db.$client
      .prepare(`explain query plan ${query.sql}`)
      .all(...query.params)
      .map((row) => (row as { detail: string }).detail);
    expect(plan).toEqual(["SEARCH registrations USING INDEX registrations_one_active_per_email (email=?)"]);
  });
});
