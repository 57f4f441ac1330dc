import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { ACTIVE_STATES, registrations } from "../../../db/schema/registration.ts";
import { ANONYMOUS, type Viewer } from "./audience.ts";

/**
 * Who a person is for the audience rule, from their account and their registration. The pages (for
 * the session cookie's principal) and the private calendar feed (for the feed's owner) both ask here,
 * so that they can never disagree.
 */

/** What a person's registration lets them see: a confirmed one their category's sessions; none, the public view. */
export function registrationViewer(db: Pick<Db, "select">, email: string): Viewer {
  const registration = db
    .select({ category: registrations.category, status: registrations.status })
    .from(registrations)
    .where(and(eq(registrations.email, email), inArray(registrations.status, [...ACTIVE_STATES])))
    .get();
  if (!registration) return ANONYMOUS;
  return { kind: "attendee", category: registration.category, confirmed: registration.status === "confirmed" };
}

/**
 * The viewer of an account: staff see everything, but only when `staffVerified` (a staff session that
 * gave the second factor); anyone else what their registration allows.
 */
export function accountViewer(db: Pick<Db, "select">, email: string, staffVerified: boolean): Viewer {
  return staffVerified ? { kind: "staff" } : registrationViewer(db, email);
}
