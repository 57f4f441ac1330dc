import { describe, expect, it } from "vitest";
import type { Role } from "../../../db/schema/auth.ts";
import { allowed, decide, mayEnterAdmin, needsSecondFactor, PERMISSIONS, safeNext, type Principal } from "./guard.ts";

const principal = (roles: Role[], { totp = true, verified = true } = {}): Principal => ({
  user: { id: 1, email: "a@example.org", roles, totpEnabledAt: totp ? new Date(0) : null },
  session: { id: "s", twoFactorVerified: verified },
});

describe("guard", () => {
  it("gives organizers every permission, other roles only theirs, plain users none", () => {
    for (const p of PERMISSIONS) expect(allowed(principal(["organizer"]), p)).toBe(true);
    expect(PERMISSIONS.filter((p) => allowed(principal(["reviewer"]), p))).toEqual(["proposals.review"]);
    expect(PERMISSIONS.filter((p) => allowed(principal(["checkin"]), p))).toEqual(["checkin.scan"]);
    expect(PERMISSIONS.filter((p) => allowed(principal([]), p))).toEqual([]);
    expect(PERMISSIONS.filter((p) => allowed(null, p))).toEqual([]);
  });

  it("counts staff roles only after the second factor", () => {
    expect(allowed(principal(["organizer"], { verified: false }), "registrations.view")).toBe(false);
    expect(allowed(principal(["organizer"], { totp: false, verified: true }), "registrations.view")).toBe(false);
    expect(needsSecondFactor(principal(["organizer"], { verified: false }))).toBe(true);
    expect(needsSecondFactor(principal([]))).toBe(false);
    expect(mayEnterAdmin(principal(["checkin"]))).toBe(true);
    expect(mayEnterAdmin(principal([]))).toBe(false);
  });

  it("sends the anonymous to sign in, staff without second factor to it, others to 403", () => {
    expect(decide(null, "registrations.view", "/admin/registrations?q=x")).toEqual({
      ok: false,
      status: 303,
      location: "/signin?next=%2Fadmin%2Fregistrations%3Fq%3Dx",
    });
    expect(decide(principal(["organizer"], { verified: false }), "registrations.view", "/admin")).toEqual({
      ok: false,
      status: 303,
      location: "/signin/second-factor?next=%2Fadmin",
    });
    expect(decide(principal(["reviewer"]), "registrations.view", "/admin")).toEqual({ ok: false, status: 403 });
    expect(decide(principal([]), "registrations.view", "/admin")).toEqual({ ok: false, status: 403 });
    expect(decide(principal(["organizer"]), "registrations.view", "/admin")).toEqual({ ok: true });
  });

  it("only ever returns to a local path", () => {
    expect(safeNext("/admin?x=1")).toBe("/admin?x=1");
    expect(safeNext("/cfp/invitation/abc_-9?x=1#y")).toBe("/cfp/invitation/abc_-9?x=1#y");
    for (const bad of ["https://evil.example", "//evil.example", "/\\evil.example", "admin", "", null, "/a\r\nLocation: x"])
      expect(safeNext(bad)).toBe("/");
  });

  it("refuses every spelling of another site, encoded or hidden behind dot segments", () => {
    const hostile = [
      "//evil.example",
      "///evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "https://evil.example",
      "HTTPS://evil.example",
      "https:evil.example",
      "javascript:alert(1)",
      "%2F%2Fevil.example",
      "%2f%2fevil.example",
      "/.//evil.example",
      "/./\\evil.example",
      "/a/..//evil.example",
      "/..//evil.example",
      "/%2e//evil.example",
      "/%2E%2E//evil.example",
      "/x/../\\evil.example",
      "\u3000//evil.example",
      " //evil.example",
    ];
    for (const next of hostile) {
      const kept = safeNext(next, "/account");
      expect(kept, JSON.stringify(next)).toBe("/account");
    }
    // Percent-encoded slashes stay inside the path: the browser asks this site for them.
    for (const local of ["/%2F%2Fevil.example", "/%5Cevil.example", "/@evil.example"]) {
      const kept = safeNext(local, "/account");
      expect(new URL(kept, "https://site.invalid").origin, JSON.stringify(local)).toBe("https://site.invalid");
      expect(kept.startsWith("//") || kept.startsWith("/\\")).toBe(false);
    }
  });
});
