import type { AstroGlobal } from "astro";
import { actions, type ActionError } from "astro:actions";
import { eq } from "drizzle-orm";
import { registrations } from "../../../db/schema/index.ts";
import { errorMessage } from "../../i18n/errors.ts";
import { t, type Locale, type Messages } from "../../i18n/index.ts";
import { deskAttendee, DESK_RESULTS, searchDesk, type DeskAttendee } from "../../lib/registration/checkin.ts";
import { deskCounts, forumDay, type DeskCounts } from "../../lib/registration/desk.ts";
import { entryExitMode, presenceDays, presenceOf, type Presence, type PresenceCount } from "../../lib/registration/presence.ts";
import { allowed } from "../../lib/auth/guard.ts";
import type { ScanDirection } from "../../../db/schema/index.ts";
import { badgeRun, parseBadgeFilter, recordBadgeRun, type BadgeEntry, type BadgeFilter } from "../../lib/registration/badges.ts";
import { ticketSecretOf } from "../../lib/registration/service.ts";
import { ticketQrSvg } from "../../lib/registration/ticket.ts";
import { CONTENT_SECURITY_POLICY } from "../../web/http.ts";
import { formErrors, submittedForm, type FormErrors } from "../../web/forms.ts";
import { getAppKey, getDb, getEdition } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";
import { pageUrl } from "./mailstaff-state.ts";
import type { Loaded } from "./route.ts";

/** Request handling of the check-in desk and the badge page: guard, Action results, redirect after a check-in. */

const NOTICES = ["done", "already", "entered", "exited", "inside", "outside"] as const;
/** The notice after a form's answer, by its outcome (entry and exit, decision 38). */
const NOTICE_OF = {
  admitted: "done",
  already: "already",
  entered: "entered",
  exited: "exited",
  already_inside: "inside",
  not_inside: "outside",
} as const;

/** A time of day at the forum (its time zone), for "checked in at 09:41". */
export function deskTime(locale: Locale, at: Date): string {
  return new Intl.DateTimeFormat(t(locale).intl, { hour: "2-digit", minute: "2-digit", timeZone: getEdition().timezone }).format(at);
}

/** The message of an error key, the `checkin:<reason>:<id>` refusals included (worded with the attendee's name). */
function checkinMessage(m: Messages, key: string): string {
  const [area, reason, id] = key.split(":");
  if (area !== "checkin" || !reason) return errorMessage(m, key);
  const text = m.checkin.errors[reason] ?? m.errors.generic;
  const attendee = id ? deskAttendee(getDb(), Number(id)) : undefined;
  return attendee ? m.checkin.refusedWho(attendee.name, text) : text;
}

function checkinErrors(error: ActionError | undefined, m: Messages, field: string): FormErrors {
  return formErrors(error, m, [field], { message: (key) => checkinMessage(m, key), fieldOf: () => field });
}

/**
 * The desk's own Content-Security-Policy: the site's, plus WebAssembly (the QR reader of browsers
 * without one, decision 31). Nothing else is loosened, and no other page gets it.
 */
export const DESK_CSP =
  CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'") + "; worker-src 'self'";

export interface DeskProps {
  locale: Locale;
  q: string;
  results: DeskAttendee[];
  /** Whether a search was made (an empty list then says "no match"). */
  searched: boolean;
  max: number;
  /** The attendee just checked in, or found already checked in. */
  done?: DeskAttendee;
  already?: DeskAttendee;
  ticket: string;
  ticketErrors: FormErrors;
  rowErrors: FormErrors;
  ticketAction: string;
  rowAction: string;
  /** The refusal of the ticket just submitted (without JavaScript), worded. */
  refusal?: string;
  desk: string;
  counts: DeskCounts;
  /** Whether the desks count entry and exit (decision 38); then the way this desk scans. */
  entryExit: boolean;
  direction: ScanDirection;
  /** After a door's answer without JavaScript: the outcome, who, and their presence today. */
  door?: { notice: "entered" | "exited" | "inside" | "outside"; who: DeskAttendee; presence?: Presence };
}

/** The desk (`checkin.scan`): a check-in comes back to the same search with a notice (`?done=` or `?already=`). */
export async function deskState(Astro: AstroGlobal): Promise<Guarded<DeskProps>> {
  const guard = guardPage(Astro, "checkin.scan");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const m = t(locale);
  Astro.response.headers.set("Content-Security-Policy", DESK_CSP);
  const byTicket = Astro.getActionResult(actions.checkinTicket);
  const byRow = Astro.getActionResult(actions.checkinRegistration);
  const success = (byTicket && !byTicket.error && byTicket.data) || (byRow && !byRow.error && byRow.data);
  if (success) {
    const way = success.outcome === "exited" || success.outcome === "not_inside" ? "exit" : undefined;
    return { redirect: pageUrl(Astro.url, { [NOTICE_OF[success.outcome]]: success.id, way }, NOTICES) };
  }
  const db = getDb();
  const entryExit = entryExitMode(db);
  const today = forumDay(Date.now(), getEdition().timezone);
  // The way this desk scans, kept across its form posts by the address (the script keeps it on the device).
  const direction: ScanDirection = entryExit && Astro.url.searchParams.get("way") === "exit" ? "exit" : "entry";
  const notice = (name: string) => {
    const id = Number(Astro.url.searchParams.get(name) ?? NaN);
    return Number.isInteger(id) && id > 0 ? deskAttendee(getDb(), id) : undefined;
  };
  const q = (Astro.url.searchParams.get("q") ?? "").trim().slice(0, 200);
  const submitted = byTicket?.error ? await submittedForm(Astro.request) : null;
  return {
    props: {
      locale,
      q,
      results: q ? searchDesk(getDb(), q, DESK_RESULTS, locale) : [],
      searched: q !== "",
      max: DESK_RESULTS,
      done: notice("done"),
      already: notice("already"),
      ticket: submitted?.ticket ?? "",
      ticketErrors: checkinErrors(byTicket?.error, m, "ticket"),
      rowErrors: formErrors(byRow?.error, m, ["id"], { message: (key) => checkinMessage(m, key) }),
      ticketAction: pageUrl(Astro.url, { _action: "checkinTicket" }, NOTICES),
      rowAction: pageUrl(Astro.url, { _action: "checkinRegistration" }, NOTICES),
      refusal: byTicket?.error?.message.startsWith("checkin:") ? checkinMessage(m, byTicket.error.message) : undefined,
      desk: submitted?.desk ?? "",
      counts: deskCounts(db, entryExit ? today : undefined),
      entryExit,
      direction: (submitted?.direction === "exit" || submitted?.direction === "entry" ? submitted.direction : undefined) ?? direction,
      door: doorNotice(),
    },
  };

  function doorNotice(): DeskProps["door"] {
    for (const name of ["entered", "exited", "inside", "outside"] as const) {
      const who = notice(name);
      if (who) return { notice: name, who, presence: presenceOf(db, who.id, today) };
    }
    return undefined;
  }
}

export interface PresenceProps {
  locale: Locale;
  entryExit: boolean;
  /** Whether the viewer may turn counting on or off (`checkin.manage`). */
  mayManage: boolean;
  saved: boolean;
  errors: FormErrors;
  action: string;
  day: string;
  now: number;
  counts: DeskCounts;
  days: ({ day: string } & PresenceCount)[];
}

/** The overview of people inside (`checkin.scan`; the setting for `checkin.manage`), decision 38. */
export async function presenceState(Astro: AstroGlobal): Promise<Guarded<PresenceProps>> {
  const guard = guardPage(Astro, "checkin.scan");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const m = t(locale);
  const result = Astro.getActionResult(actions.checkinEntryExit);
  if (result && !result.error) return { redirect: pageUrl(Astro.url, { saved: 1 }) };
  const db = getDb();
  const now = Date.now();
  const day = forumDay(now, getEdition().timezone);
  const entryExit = entryExitMode(db);
  return {
    props: {
      locale,
      entryExit,
      mayManage: allowed(Astro.locals.principal, "checkin.manage"),
      saved: Astro.url.searchParams.get("saved") === "1",
      errors: formErrors(result?.error, m, ["entryExit"]),
      action: pageUrl(Astro.url, { _action: "checkinEntryExit" }, ["saved"]),
      day,
      now,
      counts: deskCounts(db, entryExit ? day : undefined),
      days: presenceDays(db),
    },
  };
}

export interface BadgeProps {
  locale: Locale;
  attendee: DeskAttendee;
  qrSvg: string;
}

/** The badge of a registration that is checked in (`checkin.scan`); any other id is not found. */
export async function badgeState(Astro: AstroGlobal): Promise<Loaded<BadgeProps>> {
  const guard = guardPage(Astro, "checkin.scan");
  if (!("ok" in guard)) return guard;
  const id = Number(Astro.params.id);
  const attendee = Number.isInteger(id) && id > 0 ? deskAttendee(getDb(), id) : undefined;
  if (!attendee || attendee.status !== "confirmed" || !attendee.checkedInAt) return { notFound: true };
  const nonce = getDb()
    .select({ ticketNonce: registrations.ticketNonce })
    .from(registrations)
    .where(eq(registrations.id, attendee.id))
    .get()!;
  return { props: { locale: guard.locale, attendee, qrSvg: await ticketQrSvg(ticketSecretOf(getAppKey(), nonce)) } };
}

export interface BadgeRunProps {
  locale: Locale;
  filter: BadgeFilter & { arrivalParam: string };
  /** Whether the organizer asked for the badges (the form was sent); else only the form shows. */
  shown: boolean;
  badges: (Omit<BadgeEntry, "ticketNonce"> & { qrSvg: string })[];
  total: number;
  parts: number;
  /** The same run's other parts, by number. */
  partHref: (part: number) => string;
}

/**
 * A badge print run (`checkin.scan`): the filter's form, and once sent, every badge it selects (one
 * part of at most BADGES_PER_RUN), in name order. Drawing a run is recorded in the audit log: it
 * shows many people's names at once.
 */
export async function badgeRunState(Astro: AstroGlobal): Promise<Guarded<BadgeRunProps>> {
  const guard = guardPage(Astro, "checkin.scan");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const edition = getEdition();
  const filter = parseBadgeFilter(Astro.url.searchParams, edition);
  const shown = Astro.url.searchParams.has("layout");
  const run = shown ? badgeRun(getDb(), filter, edition.timezone, locale) : { badges: [], total: 0, parts: 1, part: 1 };
  if (shown) recordBadgeRun(getDb(), Astro.locals.principal!.user, filter, run.badges.length);
  const appKey = getAppKey();
  const badges = await Promise.all(
    run.badges.map(async ({ ticketNonce, ...badge }) => ({ ...badge, qrSvg: await ticketQrSvg(ticketSecretOf(appKey, { ticketNonce })) })),
  );
  const partHref = (part: number) => {
    const url = new URL(Astro.url);
    url.searchParams.set("part", String(part));
    return url.pathname + url.search;
  };
  return { props: { locale, filter: { ...filter, part: run.part }, shown, badges, total: run.total, parts: run.parts, partHref } };
}
