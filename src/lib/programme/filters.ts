import { instantToZoned } from "./time.ts";
import type { ProgrammeView } from "./audience.ts";
import type { SessionView } from "./audience.ts";

/** The programme filters a visitor can set in the URL. Unknown values are dropped, never an error. */
export interface ProgrammeFilters {
  day?: string;
  track?: string;
  format?: string;
  language?: string;
}

/** Reads the filters from a query string, keeping only values that exist in this programme. */
export function parseFilters(params: URLSearchParams, view: ProgrammeView, days: string[]): ProgrammeFilters {
  const pick = (name: string, allowed: Iterable<string>) => {
    const value = params.get(name);
    if (!value) return undefined;
    return new Set(allowed).has(value) ? value : undefined;
  };
  return {
    day: pick("day", days),
    track: pick("track", view.tracks.map((t) => t.slug)),
    format: pick("format", view.formats.map((f) => f.slug)),
    language: pick("language", ["en", "fr"]),
  };
}

/** Sessions matching every set filter. Breaks (no track) stay visible under a track filter only when no track is set. */
export function applyFilters(sessions: SessionView[], filters: ProgrammeFilters, timezone: string): SessionView[] {
  return sessions.filter(
    (s) =>
      (!filters.day || instantToZoned(s.startsAt, timezone).date === filters.day) &&
      (!filters.track || s.track?.slug === filters.track) &&
      (!filters.format || s.format.slug === filters.format) &&
      (!filters.language || (s.format.slug !== "break" && s.language === filters.language)),
  );
}

/** The query string for `filters` (empty values left out), for links that keep the state. */
export function filtersToQuery(filters: ProgrammeFilters & { view?: string }): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  const query = params.toString();
  return query ? `?${query}` : "";
}
