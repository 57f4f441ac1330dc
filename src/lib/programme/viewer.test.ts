import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { registrations, type RegistrationState } from "../../../db/schema/registration.ts";
import { ANONYMOUS } from "./audience.ts";
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

describe("accountViewer", () => {
  it("is staff only for a verified staff session, else what the registration allows", () => {
    register("chief@example.org", "industry", "confirmed");
    expect(accountViewer(db, "chief@example.org", true)).toEqual({ kind: "staff" });
    expect(accountViewer(db, "chief@example.org", false)).toEqual({ kind: "attendee", category: "industry", confirmed: true });
    expect(accountViewer(db, "someone@example.org", false)).toEqual(ANONYMOUS);
  });
});
