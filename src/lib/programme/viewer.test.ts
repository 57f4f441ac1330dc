import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { registrations, type RegistrationState } from "../../../db/schema/registration.ts";
import type { Role } from "../../../db/schema/auth.ts";
import { programme, session } from "../../../tests/fixtures/programme.ts";
import type { Principal } from "../auth/guard.ts";
import { ANONYMOUS, sessionAccess, viewProgramme } from "./audience.ts";
import { accountViewer, registrationViewer } from "./viewer.ts";

let db: Db;
let n = 0;
beforeEach(() => {
  db = openDatabase(":memory:");
});

/** A registration of `email` in `status` (only the columns the viewer looks at matter). */
function register(email: string, category: string, status: RegistrationState) {
  n += 1;
  db.insert(registrations)
    .values({
      email,
      category,
      status,
      language: "en",
      name: "Ada",
      organisation: "Org",
      country: "FR",
      privacyConsentAt: new Date(),
      ticketNonce: `nonce-${n}`,
      ticketHash: `hash-${n}`,
    })
    .run();
}

describe("registrationViewer", () => {
  it("is anonymous without a registration", () => {
    expect(registrationViewer(db, "nobody@example.org")).toEqual(ANONYMOUS);
  });

  it("is a confirmed attendee of their category once confirmed", () => {
    register("police@example.org", "law-enforcement", "confirmed");
    register("industry@example.org", "industry", "confirmed");
    expect(registrationViewer(db, "police@example.org")).toEqual({ kind: "attendee", category: "law-enforcement", confirmed: true });
    expect(registrationViewer(db, "industry@example.org")).toEqual({ kind: "attendee", category: "industry", confirmed: true });
  });

  it.each(["pending_email", "pending_review", "waitlisted"] as const)("is not confirmed while %s", (status) => {
    register("police@example.org", "law-enforcement", status);
    expect(registrationViewer(db, "police@example.org")).toEqual({ kind: "attendee", category: "law-enforcement", confirmed: false });
  });

  it.each(["rejected", "cancelled"] as const)("is anonymous once %s (an older closed registration does not count)", (status) => {
    register("police@example.org", "law-enforcement", status);
    expect(registrationViewer(db, "police@example.org")).toEqual(ANONYMOUS);
    register("police@example.org", "industry", "confirmed");
    expect(registrationViewer(db, "police@example.org")).toEqual({ kind: "attendee", category: "industry", confirmed: true });
  });
});

/** A signed-in principal with `roles`, who gave the second factor unless `verified` is false. */
const principal = (email: string, roles: Role[] = [], { verified = true } = {}): Principal => ({
  user: { id: 1, email, roles, totpEnabledAt: roles.length ? new Date(0) : null },
  session: { id: "s", twoFactorVerified: verified },
});

describe("accountViewer", () => {
  it("is an organizer only for an organizer's session that gave the second factor", () => {
    register("chief@example.org", "industry", "confirmed");
    expect(accountViewer(db, principal("chief@example.org", ["organizer"]))).toEqual({ kind: "organizer" });
    expect(accountViewer(db, principal("chief@example.org", ["organizer", "reviewer"]))).toEqual({ kind: "organizer" });
    // Before the second factor: what the registration allows.
    expect(accountViewer(db, principal("chief@example.org", ["organizer"], { verified: false }))).toEqual({
      kind: "attendee",
      category: "industry",
      confirmed: true,
    });
    expect(accountViewer(db, principal("someone@example.org"))).toEqual(ANONYMOUS);
    expect(accountViewer(db, null)).toEqual(ANONYMOUS);
  });

  it("gives reviewers and check-in staff no more than their own registration: a law-enforcement TLP:RED session stays closed", () => {
    const briefing = session({ audience: "law-enforcement", titlePublic: false, tlp: "RED", description: "codenamed WREN" });
    const teaser = session({ slug: "teaser", audience: "law-enforcement", titlePublic: true, tlp: "RED", description: "esc-node-07" });
    register("reviewer.officer@example.org", "law-enforcement", "confirmed");
    register("checkin.pending@example.org", "law-enforcement", "pending_review");
    register("reviewer.industry@example.org", "industry", "confirmed");
    const cases: [Principal, ReturnType<typeof sessionAccess>, ReturnType<typeof sessionAccess>][] = [
      [principal("reviewer@example.org", ["reviewer"]), "none", "title"],
      [principal("checkin@example.org", ["checkin"]), "none", "title"],
      [principal("both@example.org", ["reviewer", "checkin"]), "none", "title"],
      [principal("checkin.pending@example.org", ["checkin"]), "none", "title"],
      [principal("reviewer.industry@example.org", ["reviewer"]), "none", "title"],
      // As an attendee of that category, confirmed: yes.
      [principal("reviewer.officer@example.org", ["reviewer"]), "full", "full"],
      [principal("boss@example.org", ["organizer"]), "full", "full"],
    ];
    for (const [who, hidden, titled] of cases) {
      const viewer = accountViewer(db, who);
      const label = `${who.user.email} (${who.user.roles.join(", ")})`;
      expect(sessionAccess(briefing, viewer), label).toBe(hidden);
      expect(sessionAccess(teaser, viewer), label).toBe(titled);
      const view = viewProgramme(programme([briefing, teaser]), viewer);
      const described = view.sessions.filter((s) => s.description.en.includes("WREN") || s.description.en.includes("esc-node-07"));
      expect(described.length, label).toBe(hidden === "full" ? 2 : 0);
    }
  });
});
