import { and, asc, eq, sql } from "drizzle-orm";
import { fold, type Db, escapeLike } from "../../../db/client.ts";
import { randomBytes } from "node:crypto";
import { checkinScans, registrations, type RegistrationState, type ScanDirection } from "../../../db/schema/index.ts";
import { sortByName, type Locale } from "../locale.ts";
import { recordAudit } from "../audit.ts";
import { forumDay } from "./desk.ts";
import { enter, entryExitMode, leave, presenceOf } from "./presence.ts";
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

/** What a desk's form did: a first admission, "already" (entry and exit not counted), or a door's answer (decision 38). */
export type DeskOutcome = "admitted" | "already" | "entered" | "exited" | "already_inside" | "not_inside";

export type DeskResult =
  | { ok: true; attendee: DeskAttendee; alreadyCheckedIn: boolean; outcome: DeskOutcome }
  | { ok: false; reason: DeskRefusal; attendee?: DeskAttendee };

/**
 * Checks in the registration of a scanned ticket or of a row found by name, with an audit entry
 * naming the staff member. Only confirmed registrations are let in; checking in twice changes
 * nothing and says when it happened the first time. While entry and exit are counted (decision 38),
 * `direction` lets the registration in again or out, as the desks' scans do; a refusal has an audit entry.
 */
export function checkInAtDesk(
  deps: RegistrationDeps,
  staff: { id: number; email: string },
  key: CheckInKey,
  desk = "",
  direction: ScanDirection = "entry",
): DeskResult {
  const now = deps.now?.() ?? Date.now();
  const label = desk.trim().slice(0, 40);
  return deps.db.transaction(
    (tx) => {
      const t = tx as unknown as Db;
      const counting = entryExitMode(t);
      const way: ScanDirection = counting ? direction : "entry";
      const today = forumDay(now, deps.edition.timezone);
      const turnAway = (reason: DeskRefusal, found?: Registration): DeskResult => {
        // While entry and exit are counted the forms audit refusals as the desks' scans do; off, as before (decision 38).
        if (counting)
          recordAudit(
            tx,
            {
              actor: staff,
              action: "registration.checkin_refused",
              subjectType: "registration",
              subjectId: found?.id,
              after: { reason, desk: label, by: "id" in key ? "name" : "ticket", ...(counting ? { direction: way } : {}) },
            },
            now,
          );
        return { ok: false, reason, ...(found ? { attendee: deskView(found) } : {}) };
      };
      /** A door's answer: the scan's row (a state change only) and the row touched for the desks' polls. */
      const door = (found: Registration, outcome: "entered" | "exited" | "already_inside" | "not_inside"): DeskResult => {
        if (outcome === "entered" || outcome === "exited") {
          tx.insert(checkinScans)
            .values({
              nonce: randomBytes(18).toString("base64url"),
              registrationId: found.id,
              userId: staff.id,
              desk: label,
              scannedAt: new Date(now),
              receivedAt: new Date(now),
              outcome,
              direction: way,
            })
            .run();
          tx.update(registrations)
            .set({ updatedAt: new Date(now) })
            .where(eq(registrations.id, found.id))
            .run();
        }
        return { ok: true, attendee: deskView(found), alreadyCheckedIn: found.checkedInAt !== null, outcome };
      };
      const found = findForCheckIn(tx, key);
      if (!found) return turnAway("not_found");
      if (way === "exit") {
        // Someone let in and cancelled since is still in the building: their exit counts.
        if (found.status !== "confirmed" && !presenceOf(t, found.id, today)?.inside) return turnAway(found.status as DeskRefusal, found);
        return door(found, leave(t, found.id, today, now, label));
      }
      if (found.status !== "confirmed") return turnAway(found.status as DeskRefusal, found);
      if (counting && found.checkedInAt) return door(found, enter(t, found.id, today, now, label));
      const inner: RegistrationDeps = { ...deps, db: t, now: () => now };
      const checked = checkInBy(inner, { id: found.id }, `staff:${staff.id}`);
      // Found confirmed in this transaction: a refusal here is a bug.
      if (!checked.ok) throw new Error(`check-in refused: ${checked.detail}`);
      const { registration, alreadyCheckedIn } = checked;
      if (!alreadyCheckedIn) {
        if (counting) enter(t, registration.id, today, now, label);
        // The admission row (one per registration, decision 31) says at which desk; the form's own nonce.
        tx.insert(checkinScans)
          .values({
            nonce: randomBytes(18).toString("base64url"),
            registrationId: registration.id,
            userId: staff.id,
            desk: label,
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
            after: { checkedInAt: registration.checkedInAt?.toISOString(), by: "id" in key ? "name" : "ticket", desk: label },
          },
          now,
        );
      }
      return { ok: true, attendee: deskView(registration), alreadyCheckedIn, outcome: alreadyCheckedIn ? "already" : "admitted" };
    },
    { behavior: "immediate" },
  );
}
