import { describe, expect, it } from "vitest";
import type { Role } from "../../../db/schema/auth.ts";
import type { Principal } from "../../lib/auth/guard.ts";
import { adminAreasOf, areaOf } from "./areas.ts";

const principal = (roles: Role[]): Principal => ({
  user: { id: 1, email: "a@example.org", roles, totpEnabledAt: new Date(0) },
  session: { id: "s", twoFactorVerified: true },
});

describe("the organizers' areas", () => {
  it("are those each role may open", () => {
    expect(adminAreasOf(principal(["organizer"])).map((a) => a.key)).toEqual([
      "registrations",
      "checkin",
      "statistics",
      "programme",
      "cfp",
      "reviews",
      "mail",
      "audit",
      "staff",
      "webhooks",
    ]);
    expect(adminAreasOf(principal(["reviewer"])).map((a) => a.key)).toEqual(["reviews"]);
    expect(adminAreasOf(principal(["checkin"])).map((a) => a.key)).toEqual(["checkin"]);
    expect(adminAreasOf(principal([]))).toEqual([]);
    expect(adminAreasOf(null)).toEqual([]);
  });

  it("tell the area of a page: its own page, or one within it", () => {
    expect(areaOf("/admin")).toEqual({ key: "overview", exact: true });
    expect(areaOf("/admin/")).toEqual({ key: "overview", exact: true });
    expect(areaOf("/admin/registrations")).toEqual({ key: "registrations", exact: true });
    expect(areaOf("/admin/registrations/12")).toEqual({ key: "registrations", exact: false });
    expect(areaOf("/admin/programme/sessions/keynote")).toEqual({ key: "programme", exact: false });
    expect(areaOf("/admin/mail/compose")).toEqual({ key: "mail", exact: false });
    expect(areaOf("/admin/checkin/4/badge")).toEqual({ key: "checkin", exact: false });
    expect(areaOf("/admin/cfpx")).toBeUndefined();
    expect(areaOf("/programme")).toBeUndefined();
  });
});
