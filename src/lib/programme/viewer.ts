import { and, eq } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { activeRegistration, registrations } from "../../../db/schema/registration.ts";
import { allowed, type Principal } from "../auth/guard.ts";
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
    .where(and(eq(registrations.email, email), activeRegistration))
    .get();
  if (!registration) return ANONYMOUS;
  return { kind: "attendee", category: registration.category, confirmed: registration.status === "confirmed" };
}

/**
 * The viewer of a signed-in person: an organizer sees every session, but only once the guard grants
 * `programme.viewAll` (an organizer's session that gave the second factor); anyone else, reviewers and
 * check-in staff included, what their own registration allows: a staff role opens no session.
 */
export function accountViewer(db: Pick<Db, "select">, principal: Principal | null): Viewer {
  if (!principal) return ANONYMOUS;
  return allowed(principal, "programme.viewAll") ? { kind: "organizer" } : registrationViewer(db, principal.user.email);
}
