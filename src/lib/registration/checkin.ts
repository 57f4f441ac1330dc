import { and, asc, eq, sql } from "drizzle-orm";
import { fold, type Db, escapeLike } from "../../../db/client.ts";
import { randomBytes } from "node:crypto";
import { checkinScans, registrations, type RegistrationState } from "../../../db/schema/index.ts";
import { sortByName } from "../locale.ts";
import { type Locale } from "../locale.ts";
import { recordAudit } from "../audit.ts";
import { checkInBy, findForCheckIn, type CheckInKey, type Registration, type RegistrationDeps } from "./service.ts";

/**
 * The check-in desk: find an attendee by name (or scan their ticket) and check them in. The desk
 * sees only what it needs to recognise someone and print a badge; dietary, accessibility and the
 * other personal fields stay with the organizers.
 */

/** What the desk sees of a registration. */
export interface DeskAttendee {
  id: number;
  name: string;
  organisation: string;
  category: string;
  status: RegistrationState;
  checkedInAt: Date | null;
  /** The desk that checked them in ("" when it gave no name), if checked in. */
  desk: string | null;
}

/** Results shown for one search, at most. */
export const DESK_RESULTS = 20;

const deskColumns = {
  id: registrations.id,
  name: registrations.name,
  organisation: registrations.organisation,
  category: registrations.category,
  status: registrations.status,
  checkedInAt: registrations.checkedInAt,
  desk: sql<
    string | null
  >`(select ${checkinScans.desk} from ${checkinScans} where ${checkinScans.registrationId} = ${registrations.id} and ${checkinScans.outcome} = 'admitted')`,
};

const deskView = (r: Pick<Registration, Exclude<keyof DeskAttendee, "desk">>): DeskAttendee => ({
  id: r.id,
  name: r.name,
  organisation: r.organisation,
  category: r.category,
  status: r.status,
  checkedInAt: r.checkedInAt,
  desk: null,
});

/**
 * Confirmed registrations (checked in or not) whose name, e-mail or organisation contains `q`,
 * accents and case ignored, or whose ticket code (printed under the QR code) is `q`; sorted by name
 * as readers of `locale` sort names.
 */
export function searchDesk(db: Db, q: string, limit = DESK_RESULTS, locale: Locale = "en"): DeskAttendee[] {
  const folded = fold(q.trim());
  if (folded === "") return [];
  const pattern = `%${escapeLike(folded)}%`;
  // A ticket code, with or without its hyphens: the first 12 hex digits of the stored hash.
  const code = /^[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}$/i.test(q.trim()) ? q.trim().replace(/-/g, "").toLowerCase() : "-";
  const found = db
    .select(deskColumns)
    .from(registrations)
    .where(
      and(
        eq(registrations.status, "confirmed"),
        sql`(fold(${registrations.name}) like ${pattern} escape '\\' or fold(${registrations.email}) like ${pattern} escape '\\' or fold(${registrations.organisation}) like ${pattern} escape '\\' or substr(${registrations.ticketHash}, 1, 12) = ${code})`,
      ),
    )
    .orderBy(sql`fold(${registrations.name})`, asc(registrations.id))
    .limit(limit)
    .all();
  return sortByName(found, (r) => r.name, locale);
}

/** One registration as the desk sees it (for the notices and the badge). */
export function deskAttendee(db: Db, id: number): DeskAttendee | undefined {
  return db.select(deskColumns).from(registrations).where(eq(registrations.id, id)).get();
}

/** Why the desk cannot check a registration in: it does not exist, or it is not confirmed (its state says why). */
export type DeskRefusal = "not_found" | Exclude<RegistrationState, "confirmed">;

export type DeskResult =
  { ok: true; attendee: DeskAttendee; alreadyCheckedIn: boolean } | { ok: false; reason: DeskRefusal; attendee?: DeskAttendee };

/**
 * Checks in the registration of a scanned ticket or of a row found by name, with an audit entry
 * naming the staff member. Only confirmed registrations are let in; checking in twice changes
 * nothing and says when it happened the first time.
 */
export function checkInAtDesk(deps: RegistrationDeps, staff: { id: number; email: string }, key: CheckInKey, desk = ""): DeskResult {
  const now = deps.now?.() ?? Date.now();
  return deps.db.transaction(
    (tx) => {
      const found = findForCheckIn(tx, key);
      if (!found) return { ok: false, reason: "not_found" };
      if (found.status !== "confirmed") return { ok: false, reason: found.status, attendee: deskView(found) };
      const inner: RegistrationDeps = { ...deps, db: tx as unknown as Db, now: () => now };
      const checked = checkInBy(inner, { id: found.id }, `staff:${staff.id}`);
      // Found confirmed in this transaction: a refusal here is a bug.
      if (!checked.ok) throw new Error(`check-in refused: ${checked.detail}`);
      const { registration, alreadyCheckedIn } = checked;
      if (!alreadyCheckedIn) {
        // The admission row (one per registration, decision 31) says at which desk; the form's own nonce.
        tx.insert(checkinScans)
          .values({
            nonce: randomBytes(18).toString("base64url"),
            registrationId: registration.id,
            userId: staff.id,
            desk: desk.trim().slice(0, 40),
            scannedAt: new Date(now),
            receivedAt: new Date(now),
            outcome: "admitted",
          })
          .run();
        recordAudit(
          tx,
          {
            actor: staff,
            action: "registration.checkin",
            subjectType: "registration",
            subjectId: registration.id,
            before: { checkedInAt: null },
            after: { checkedInAt: registration.checkedInAt?.toISOString(), by: "id" in key ? "name" : "ticket", desk: desk.trim() },
          },
          now,
        );
      }
      return { ok: true, attendee: deskView(registration), alreadyCheckedIn };
    },
    { behavior: "immediate" },
  );
}
