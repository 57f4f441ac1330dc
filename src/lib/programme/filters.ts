import { instantToZoned } from "./time.ts";
import { fold } from "../../../db/client.ts";
import type { ProgrammeView, SessionView, SpeakerView } from "./audience.ts";

/** Longest search text kept from the URL; the rest is cut, never an error. */
export const MAX_QUERY_LENGTH = 200;

/** How the programme is laid out: a days × rooms × time grid, or a list grouped by day and start time. */
export const PROGRAMME_LAYOUTS = ["grid", "list"] as const;
export type ProgrammeLayout = (typeof PROGRAMME_LAYOUTS)[number];

/** The programme filters a visitor can set in the URL. Unknown values are dropped, never an error. */
export interface ProgrammeFilters {
  day?: string;
  track?: string;
  format?: string;
  language?: string;
  /** Free text searched in titles, abstracts (of sessions shown in full), speaker names and tracks. */
  q?: string;
}

/** The filters plus the layout: everything the programme page reads from its query string. */
export interface ProgrammeQuery extends ProgrammeFilters {
  view: ProgrammeLayout;
}

/**
 * The search text of a query string: angle brackets and control characters dropped (nothing in the
 * programme needs them, and the text is echoed back in the form), whitespace collapsed, at most
 * MAX_QUERY_LENGTH characters.
 */
export function parseSearch(params: URLSearchParams): string | undefined {
  const raw = params.get("q");
  if (!raw) return undefined;
  const q = raw
    .replace(/[<>\p{Cc}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_QUERY_LENGTH)
    .trim();
  return q || undefined;
}

/** Reads the filters and layout from a query string, keeping only values that exist in this programme. */
export function parseFilters(params: URLSearchParams, view: Pick<ProgrammeView, "tracks" | "formats">, days: string[]): ProgrammeQuery {
  const pick = (name: string, allowed: Iterable<string>) => {
    const value = params.get(name);
    if (!value) return undefined;
    return new Set(allowed).has(value) ? value : undefined;
  };
  return {
    day: pick("day", days),
    track: pick(
      "track",
      view.tracks.map((t) => t.slug),
    ),
    format: pick(
      "format",
      view.formats.map((f) => f.slug),
    ),
    language: pick("language", ["en", "fr"]),
    q: parseSearch(params),
    view: (pick("view", PROGRAMME_LAYOUTS) as ProgrammeLayout | undefined) ?? "grid",
  };
}

/** True when every word of `q` occurs in one of `haystacks` (case and accents ignored). */
export function matchesSearch(q: string | undefined, haystacks: readonly string[]): boolean {
  if (!q) return true;
  const text = fold(haystacks.join("\n"));
  return fold(q)
    .split(" ")
    .filter(Boolean)
    .every((word) => text.includes(word));
}

/** What a search may look at in a session: only what the viewer is shown of it, in both languages. */
function searchableText(session: SessionView): string[] {
  const texts = [session.title.en, session.title.fr];
  if (!session.restricted) {
    texts.push(session.abstract.en, session.abstract.fr, ...session.speakers.map((s) => s.name));
    if (session.track) texts.push(session.track.name.en, session.track.name.fr);
  }
  return texts;
}

/** Sessions matching every set filter. Breaks (no track) drop out under a track filter and a language filter. */
export function applyFilters(sessions: SessionView[], filters: ProgrammeFilters, timezone: string): SessionView[] {
  return sessions.filter(
    (s) =>
      (!filters.day || instantToZoned(s.startsAt, timezone).date === filters.day) &&
      (!filters.track || s.track?.slug === filters.track) &&
      (!filters.format || s.format.slug === filters.format) &&
      (!filters.language || (s.format.slug !== "break" && s.language === filters.language)) &&
      matchesSearch(filters.q, searchableText(s)),
  );
}

/** True when any filter (not the layout) is set. */
export function hasFilters(filters: ProgrammeFilters): boolean {
  return Boolean(filters.day || filters.track || filters.format || filters.language || filters.q);
}

/** Speakers whose name, affiliation, country (code or `countryName`) or visible session titles match `q`. */
export function filterSpeakers<S extends SpeakerView & { sessions?: SessionView[] }>(
  speakers: S[],
  q: string | undefined,
  countryName: (code: string) => string = (c) => c,
): S[] {
  if (!q) return speakers;
  return speakers.filter((s) =>
    matchesSearch(q, [
      s.name,
      s.affiliation,
      s.country,
      s.country ? countryName(s.country) : "",
      ...(s.sessions ?? []).flatMap((session) => [session.title.en, session.title.fr]),
    ]),
  );
}

/** The id of a session's card on the programme, where the session page's way back lands. */
export function sessionAnchor(slug: string): string {
  return `session-${slug}`;
}

/**
 * The query string of the programme's state (filters, and the layout when it is not the default
 * grid), "" when there is none: what session links carry so that "Back to the programme" keeps it.
 */
export function programmeStateQuery(query: ProgrammeQuery): string {
  const { day, track, format, language, q, view } = query;
  return filtersToQuery({ day, track, format, language, q, view: view === "grid" ? undefined : view });
}

/** The query string for `filters` (empty values left out), for links that keep the state. */
export function filtersToQuery(filters: ProgrammeFilters & { view?: string }): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  const query = params.toString();
  return query ? `?${query}` : "";
}
