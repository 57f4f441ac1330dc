import type { AstroGlobal } from "astro";
import { actions } from "astro:actions";
import { formatDay, localDay } from "../../i18n/format.ts";
import { asLocale, localizePath, t, unlocalizePath, type Locale } from "../../i18n/index.ts";
import { agendaSessions, feedTokenOf, starredSlugs } from "../../lib/agenda/agenda.ts";
import type { SessionView } from "../../lib/programme/audience.ts";
import { getAppKey, getDb, getEdition, getSiteUrl, programmeFor } from "../../web/runtime.ts";
import { privatePage } from "./auth-state.ts";

/**
 * The personal agenda on the pages: the star buttons of the programme and session pages (and what
 * follows their form post), and the state of the /agenda page.
 */

/** What a page needs to draw star buttons for a signed-in person. */
export interface StarContext {
  /** Slugs of the sessions they starred. */
  starred: ReadonlySet<string>;
  /** Where the button's form posts: this page (its query kept) with the Action. */
  action: string;
}

/** The star buttons' context of this request: null for an anonymous visitor (no buttons). */
export function starContext(Astro: AstroGlobal): StarContext | null {
  const principal = Astro.locals.principal;
  if (!principal) return null;
  const url = new URL(Astro.url);
  url.searchParams.set("_action", "toggleStar");
  return { starred: starredSlugs(getDb(), principal.user.id), action: url.pathname + url.search };
}

/** The page a star form came from (its path and query, without the Action), plus the button's anchor. */
function backTo(url: URL, slug?: string): string {
  const back = new URL(url);
  back.searchParams.delete("_action");
  return back.pathname + back.search + (slug ? `#star-${slug}` : "");
}

/** The sign-in page in `locale`, coming back to `path` afterwards (an English path, as sign-in expects). */
export function signInPath(locale: Locale, path: string): string {
  return `${localizePath("/signin", locale)}?next=${encodeURIComponent(unlocalizePath(path))}`;
}

/**
 * After a star form was posted to a programme or session page: where to go (303). Back to the same
 * page on success; to sign in when nobody is; undefined on a refusal, which the page shows (4xx).
 */
export function afterStar(Astro: AstroGlobal): string | undefined {
  const result = Astro.getActionResult(actions.toggleStar);
  if (!result) return undefined;
  const locale = asLocale(Astro.currentLocale);
  if (!result.error) return backTo(Astro.url, result.data.slug);
  if (result.error.code === "UNAUTHORIZED") return signInPath(locale, backTo(Astro.url));
  return undefined;
}

/** The message of a refused star, for the page that shows it. */
export function starError(Astro: AstroGlobal): string | undefined {
  const error = Astro.getActionResult(actions.toggleStar)?.error;
  if (!error) return undefined;
  const m = t(Astro.currentLocale).agenda;
  return error.message === "agenda:unknownSession" ? m.errors.unknownSession : m.errors.generic;
}

/** One day of the agenda. */
export interface AgendaDay {
  day: string;
  label: string;
  sessions: SessionView[];
}

export interface AgendaProps {
  locale: Locale;
  days: AgendaDay[];
  count: number;
  /** Form action of the remove buttons. */
  starAction: string;
  /** The private feed's address (https) or null before the first one; its webcal:// twin. */
  feed: { url: string; webcal: string } | null;
  /** A message after creating or resetting the feed. */
  notice?: "created" | "reset";
  error?: string;
}

/** The /agenda page's request handling: sign-in required, redirects after each form. */
export function agendaState(Astro: AstroGlobal): { redirect: string } | { props: AgendaProps } {
  const locale = asLocale(Astro.currentLocale);
  const m = t(locale).agenda;
  const here = localizePath("/agenda", locale);
  privatePage(Astro);
  const principal = Astro.locals.principal;
  const starred = Astro.getActionResult(actions.toggleStar);
  const reset = Astro.getActionResult(actions.resetAgendaFeed);
  if (!principal) return { redirect: signInPath(locale, "/agenda") };
  if (starred && !starred.error) return { redirect: here };
  if (reset && !reset.error) return { redirect: `${here}?feed=${reset.data.created ? "created" : "reset"}#feed` };

  const zone = getEdition().timezone;
  const sessions = agendaSessions(programmeFor(Astro.locals.viewer).sessions, starredSlugs(getDb(), principal.user.id));
  const days: AgendaDay[] = [];
  for (const session of sessions) {
    const day = localDay(session.startsAt, zone);
    const last = days.at(-1);
    if (last?.day === day) last.sessions.push(session);
    else days.push({ day, label: formatDay(day, locale), sessions: [session] });
  }
  const token = feedTokenOf(getDb(), getAppKey(), principal.user.id);
  const url = token ? new URL(`/agenda/${token}.ics`, getSiteUrl()).href : null;
  const notice = Astro.url.searchParams.get("feed");
  const error = starred?.error ? starError(Astro) : reset?.error ? m.errors.generic : undefined;
  return {
    props: {
      locale,
      days,
      count: sessions.length,
      starAction: `${here}?_action=toggleStar`,
      feed: url ? { url, webcal: url.replace(/^https?:/, "webcal:") } : null,
      notice: token && (notice === "created" || notice === "reset") ? notice : undefined,
      error,
    },
  };
}
