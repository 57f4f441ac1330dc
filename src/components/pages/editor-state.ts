import type { AstroGlobal } from "astro";
import { fold } from "../../../db/client.ts";
import { eq } from "drizzle-orm";
import { proposals } from "../../../db/schema/cfp.ts";
import { actions, type ActionError } from "astro:actions";
import { localizePath, t, type Locale, type Messages } from "../../i18n/index.ts";
import { editionDays } from "../../lib/config/edition.ts";
import { editionConflictOptions, scheduleWarnings, type Warning } from "../../lib/programme/conflicts.ts";
import { layoutDay, type DayGrid } from "../../lib/programme/grid.ts";
import type { Programme, Session } from "../../lib/programme/model.ts";
import { anyText } from "../../lib/programme/texts.ts";
import { instantToZoned } from "../../lib/programme/time.ts";
import { formErrors, submittedFields, type FormErrors } from "../../web/forms.ts";
import { getDb, getEdition, workInProgress } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";
import type { Loaded } from "./route.ts";

/**
 * Page logic of the sessions editor and the schedule grid (organizers, `programme.edit`). The pages
 * read the live tables (the work in progress), never the published release.
 */

/** A form's values as the browser sends them; `speakerIds` keeps every position. */
export type FormValues = Record<string, string> & { speakerIds?: never };
export interface SessionForm {
  values: Record<string, string>;
  speakerIds: string[];
}

export type EditorErrors = FormErrors;

/** Which field an editor refusal belongs to, so the message sits by it. */
const FIELD_OF: Record<string, string> = {
  title_required: "titleEn",
  unknown_language: "language",
  unknown_audience: "audience",
  unknown_tlp: "tlp",
  unknown_format: "formatId",
  unknown_track: "trackId",
  unknown_speaker: "speakerIds",
  duplicate_speaker: "speakerIds",
  invalid_expected_audience: "expectedAudience",
  incomplete_time: "start",
  end_before_start: "end",
  not_on_5_minutes: "start",
  outside_days: "day",
  unknown_room: "roomId",
};

const DETAILS_ORDER = [
  "titleEn",
  "titleFr",
  "formatId",
  "trackId",
  "language",
  "audience",
  "tlp",
  "speakerIds",
  "expectedAudience",
  "abstractEn",
  "abstractFr",
  "descriptionEn",
  "descriptionFr",
];
const SCHEDULE_ORDER = ["day", "start", "end", "roomId"];

/** An Action's refusal as messages by field (zod input errors and `editor:<code>` refusals alike). */
export function editorErrors(error: ActionError | undefined, m: Messages, order: readonly string[]): EditorErrors {
  return formErrors(error, m, order, { fieldOf: (key) => (key.startsWith("editor:") ? FIELD_OF[key.slice("editor:".length)] : undefined) });
}

/** The values of a POSTed form, every value of repeated `speakerIds` kept in order. */
async function postedForm(request: Request): Promise<SessionForm | null> {
  const fields = await submittedFields(request);
  if (!fields) return null;
  const values = Object.fromEntries([...fields].filter(([key]) => key !== "speakerIds"));
  return { values, speakerIds: fields.getAll("speakerIds") };
}

/** The details a session's form shows, as the `seen` record the Action compares (same shape as DetailsFields). */
export function detailsOf(s: Session) {
  return {
    titleEn: s.title.en,
    titleFr: s.title.fr,
    abstractEn: s.abstract.en,
    abstractFr: s.abstract.fr,
    descriptionEn: s.description.en,
    descriptionFr: s.description.fr,
    language: s.language,
    audience: s.audience,
    tlp: s.tlp,
    titlePublic: s.titlePublic,
    formatId: s.format.id,
    trackId: s.track?.id ?? null,
    speakerIds: s.speakerIds,
    expectedAudience: s.expectedAudience ?? null,
  };
}

function detailsForm(s: Session): SessionForm {
  const d = detailsOf(s);
  return {
    values: {
      titleEn: d.titleEn,
      titleFr: d.titleFr,
      abstractEn: d.abstractEn,
      abstractFr: d.abstractFr,
      descriptionEn: d.descriptionEn,
      descriptionFr: d.descriptionFr,
      language: d.language,
      audience: d.audience,
      tlp: d.tlp,
      titlePublic: d.titlePublic ? "on" : "",
      formatId: String(d.formatId),
      trackId: d.trackId === null ? "" : String(d.trackId),
      expectedAudience: d.expectedAudience === null ? "" : String(d.expectedAudience),
    },
    speakerIds: d.speakerIds.map(String),
  };
}

/** Day, start, end and room of a session in the edition's zone, as the schedule form shows them. */
export function scheduleValues(s: Session, zone: string, firstDay: string): Record<string, string> {
  if (!s.startsAt || !s.endsAt) {
    const minutes = s.format.defaultDuration;
    const end = `${String(9 + Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
    return { day: firstDay, start: "09:00", end, roomId: s.room ? String(s.room.id) : "" };
  }
  const start = instantToZoned(s.startsAt, zone);
  const end = instantToZoned(s.endsAt, zone);
  return { day: start.date, start: start.time, end: end.time, roomId: s.room ? String(s.room.id) : "" };
}

/** The schedule's warnings with the edition's settings (the speaker's walking gap). */
export function editorWarnings(programme: Programme): Warning[] {
  return scheduleWarnings(programme, editionConflictOptions(getEdition()));
}

/** Warnings that name the session `slug`. */
export function warningsOf(warnings: readonly Warning[], slug: string): Warning[] {
  return warnings.filter((w) => ("session" in w ? w.session === slug : w.sessions.includes(slug)));
}

export interface Conflict {
  /** Fields someone else changed, with their value now (already formatted for display). */
  changed: { field: string; now: string }[];
}

function describeValue(programme: Programme, field: string, value: unknown, locale: Locale, m: Messages): string {
  if (value === null || value === undefined || value === "") return "—";
  if (field === "formatId") return programme.formats.find((f) => f.id === value)?.name[locale] ?? String(value);
  if (field === "trackId") return programme.tracks.find((x) => x.id === value)?.name[locale] ?? String(value);
  if (field === "speakerIds")
    return (value as number[]).map((id) => programme.speakers.find((s) => s.id === id)?.name ?? String(id)).join(", ") || "—";
  if (field === "titlePublic") return value ? "✓" : "✗";
  if (field === "audience") return m.audience[value as keyof typeof m.audience] ?? String(value);
  return String(value);
}

export interface SessionEditProps {
  locale: Locale;
  programme: Programme;
  session: Session | null;
  zone: string;
  days: string[];
  details: SessionForm;
  schedule: Record<string, string>;
  /** Version and `seen` to send with the next save (the current ones after a conflict). */
  version: number;
  seen: string;
  seenSchedule: string;
  detailsErrors: EditorErrors;
  scheduleErrors: EditorErrors;
  stateErrors: EditorErrors;
  conflict?: Conflict;
  warnings: Warning[];
  /** The proposal this session came from, if any. */
  proposalCode?: string;
  notice?: "saved" | "created";
}

/** The page of one session (`slug`), or the new-session page (null). */
export async function sessionEditState(Astro: AstroGlobal, slug: string | null): Promise<Loaded<SessionEditProps>> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const m = t(locale);
  const base = localizePath("/admin/programme/sessions", locale);

  const created = Astro.getActionResult(actions.sessionCreate);
  if (created && !created.error) return { redirect: `${base}/${created.data.slug}?created=1` };
  const results = {
    details: Astro.getActionResult(actions.sessionDetails),
    schedule: Astro.getActionResult(actions.sessionSchedule),
    state: Astro.getActionResult(actions.sessionState),
  };
  for (const result of Object.values(results)) {
    if (result && !result.error) return { redirect: `${Astro.url.pathname}?saved=1` };
  }

  const programme = workInProgress();
  const edition = getEdition();
  const days = editionDays(edition);
  const session = slug === null ? null : (programme.sessions.find((s) => s.slug === slug) ?? null);
  if (slug !== null && !session) {
    Astro.response.status = 404;
    return { notFound: true };
  }
  const detailsError = slug === null ? created?.error : results.details?.error;
  const scheduleError = results.schedule?.error;
  const posted = detailsError || scheduleError ? await postedForm(Astro.request) : null;

  const blank: SessionForm = {
    values: { language: locale, audience: "public", tlp: "CLEAR", titlePublic: "on", formatId: String(programme.formats[0]?.id ?? "") },
    speakerIds: [],
  };
  let details = session ? detailsForm(session) : blank;
  let schedule = session ? scheduleValues(session, edition.timezone, days[0]!) : {};
  if (detailsError && posted)
    details = { values: { ...posted.values, titlePublic: posted.values.titlePublic ?? "" }, speakerIds: posted.speakerIds };
  if (scheduleError && posted) schedule = posted.values;

  let conflict: Conflict | undefined;
  const current = session ? detailsOf(session) : null;
  if (session && current && detailsError?.code === "CONFLICT" && posted) {
    let seen: Record<string, unknown> = {};
    try {
      seen = JSON.parse(posted.values.seen ?? "{}");
    } catch {
      /* a tampered field: show every field as changed */
    }
    const changed = (Object.keys(current) as (keyof typeof current)[]).filter(
      (k) => JSON.stringify(seen[k]) !== JSON.stringify(current[k]),
    );
    conflict = { changed: changed.map((field) => ({ field, now: describeValue(programme, field, current[field], locale, m) })) };
  }
  if (session && scheduleError?.code === "CONFLICT") {
    conflict = { changed: [] };
    schedule = scheduleValues(session, edition.timezone, days[0]!);
  }

  const warnings = session ? warningsOf(editorWarnings(programme), session.slug) : [];
  const query = Astro.url.searchParams;
  // A session that came from the call for papers is decided on its proposal's page: link there.
  const proposalCode = session
    ? getDb().select({ code: proposals.code }).from(proposals).where(eq(proposals.sessionId, session.id)).get()?.code
    : undefined;
  return {
    props: {
      locale,
      programme,
      session,
      zone: edition.timezone,
      days,
      details,
      schedule,
      version: session?.version ?? 0,
      seen: JSON.stringify(current ?? {}),
      seenSchedule: session ? JSON.stringify(scheduleValues(session, edition.timezone, days[0]!)) : "{}",
      detailsErrors:
        conflict && detailsError?.code === "CONFLICT" ? { byField: {}, summary: [] } : editorErrors(detailsError, m, DETAILS_ORDER),
      scheduleErrors: scheduleError?.code === "CONFLICT" ? { byField: {}, summary: [] } : editorErrors(scheduleError, m, SCHEDULE_ORDER),
      stateErrors: editorErrors(results.state?.error, m, []),
      conflict,
      warnings,
      proposalCode,
      notice: query.get("created") ? "created" : query.get("saved") ? "saved" : undefined,
    },
  };
}

export interface SessionRow {
  session: Session;
  when: string;
  warnings: number;
}

export interface SessionsListProps {
  locale: Locale;
  rows: SessionRow[];
  query: { q: string; state: string; placed: string };
  states: string[];
}

/** The sessions list: search in titles (accents and case ignored), filter by state and placement. */
export function sessionsListState(Astro: AstroGlobal): Guarded<SessionsListProps> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const programme = workInProgress();
  const zone = getEdition().timezone;
  const params = Astro.url.searchParams;
  const query = { q: (params.get("q") ?? "").slice(0, 200), state: params.get("state") ?? "", placed: params.get("placed") ?? "" };
  const states = [...new Set(programme.sessions.map((s) => s.state))].sort();
  const warnings = editorWarnings(programme);
  const needle = fold(query.q.trim());
  // A day people read ("Tue 2 Jul"), not an ISO date; the time zone is the forum's (the date is already in it).
  const dayName = new Intl.DateTimeFormat(t(guard.locale).intl, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  const dayOf = (date: string) => dayName.format(new Date(`${date}T12:00:00Z`));
  const rows = programme.sessions
    .filter((s) => !needle || fold(`${s.title.en}\n${s.title.fr}`).includes(needle))
    .filter((s) => !query.state || s.state === query.state)
    .filter((s) => !query.placed || (query.placed === "yes") === (s.startsAt !== null))
    .sort(
      (a, b) =>
        (a.startsAt?.getTime() ?? Infinity) - (b.startsAt?.getTime() ?? Infinity) ||
        anyText(a.title, guard.locale).localeCompare(anyText(b.title, guard.locale)),
    )
    .map((session) => {
      const start = session.startsAt ? instantToZoned(session.startsAt, zone) : null;
      const end = session.endsAt ? instantToZoned(session.endsAt, zone) : null;
      return {
        session,
        when: start && end ? `${dayOf(start.date)} ${start.time}–${end.time}` : "",
        warnings: warningsOf(warnings, session.slug).length,
      };
    });
  return { props: { locale: guard.locale, rows, query, states } };
}

export interface ScheduleProps {
  locale: Locale;
  days: string[];
  day: string;
  zone: string;
  grid: DayGrid<Session>;
  unscheduled: Session[];
  warnings: Warning[];
  programme: Programme;
}

/** First and last minute of the editor's grid: the usual working day, widened to what is placed. */
const EDITOR_DAY = { from: 8 * 60, to: 19 * 60 };

/** The schedule grid of one day (`?day=`), every room shown, with the confirmed sessions not yet placed. */
export function scheduleState(Astro: AstroGlobal): Guarded<ScheduleProps> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const programme = workInProgress();
  const edition = getEdition();
  const days = editionDays(edition);
  const asked = Astro.url.searchParams.get("day") ?? "";
  const day = days.includes(asked) ? asked : days[0]!;
  const live = programme.sessions.filter((s) => s.state === "confirmed");
  const placed = live.filter((s) => s.startsAt && s.endsAt && instantToZoned(s.startsAt, edition.timezone).date === day);
  const grid = layoutDay(placed as (Session & { startsAt: Date; endsAt: Date })[], programme.rooms, day, edition.timezone, {
    everyRoom: true,
    from: EDITOR_DAY.from,
    to: EDITOR_DAY.to,
  });
  const warnings = editorWarnings(programme).filter((w) =>
    ("session" in w ? [w.session] : w.sessions).some((slug) => placed.some((s) => s.slug === slug)),
  );
  return {
    props: {
      locale: guard.locale,
      days,
      day,
      zone: edition.timezone,
      grid: grid as DayGrid<Session>,
      unscheduled: live
        .filter((s) => !s.startsAt)
        .sort((a, b) => anyText(a.title, guard.locale).localeCompare(anyText(b.title, guard.locale))),
      warnings,
      programme,
    },
  };
}
