import type { APIContext } from "astro";
import { decide } from "../lib/auth/guard.ts";
import { deskCounts, deskRoster, forumDay, scanAtDesk, scanBatchSchema } from "../lib/registration/desk.ts";
import { entryExitMode, presenceDays } from "../lib/registration/presence.ts";
import { readBoundedText } from "./http.ts";
import { getDb, getEdition, registrationDeps } from "./runtime.ts";
import deskWorker from "../components/checkin/desk-sw.js?raw";

/**
 * The HTTP side of the desks (decision 31): `GET desk.json` gives the day's roster (or what changed
 * since `?since=`) with the counts; `POST desk.json` takes a batch of scans as JSON and answers each;
 * `desk-sw.js` is the service worker that keeps the desk page through a network cut;
 * `presence.json` gives the counts of people inside (decision 38).
 */

/** Never stored by a cache, never indexed. */
const PRIVATE = { "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow" };
/** A batch of 100 scans of 200 characters is far below; a broken scanner's megabytes are not read. */
const MAX_BODY = 64 * 1024;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { ...PRIVATE, "Content-Type": "application/json; charset=utf-8", ...headers } });

/** Whoever may not use the desk: pages go to sign in; a script's request gets 401/403 it can word. */
function refused(context: APIContext, asPage: boolean): Response | undefined {
  const decision = decide(context.locals.principal, "checkin.scan", context.url.pathname + context.url.search);
  if (decision.ok) return undefined;
  if (asPage && decision.status === 303) return new Response(null, { status: 303, headers: { ...PRIVATE, Location: decision.location } });
  return json(decision.status === 303 ? 401 : 403, { error: decision.status === 303 ? "signed_out" : "forbidden" });
}

/** The end of the forum's day of `now` (epoch ms): when a desk erases what it holds. */
export function endOfForumDay(now: number, timezone: string): number {
  const day = forumDay(now, timezone);
  let at = now;
  // Step forward by the hour, then by the minute: time zones change by whole minutes at worst.
  while (forumDay(at + 3600_000, timezone) === day) at += 3600_000;
  while (forumDay(at + 60_000, timezone) === day) at += 60_000;
  return at + 60_000 - (at % 60_000);
}

export function rosterResponse(context: APIContext): Response {
  const stop = refused(context, true);
  if (stop) return stop;
  const since = Number(context.url.searchParams.get("since") ?? "");
  const now = Date.now();
  const edition = getEdition();
  const db = getDb();
  const day = forumDay(now, edition.timezone);
  // One read of the setting for the roster and its counts: a desk sees one mode at a time.
  const entryExit = entryExitMode(db);
  return json(200, {
    now,
    day,
    expires: endOfForumDay(now, edition.timezone),
    staff: context.locals.principal!.user.id,
    full: !(since > 0),
    entryExit,
    attendees: deskRoster(db, since > 0 ? since - 1 : undefined, entryExit ? day : undefined),
    counts: deskCounts(db, entryExit ? day : undefined),
  });
}

/** The counts of people inside today and each day's entries and exits (decision 38), for the overview page. */
export function presenceResponse(context: APIContext): Response {
  const stop = refused(context, true);
  if (stop) return stop;
  const now = Date.now();
  const db = getDb();
  const day = forumDay(now, getEdition().timezone);
  const entryExit = entryExitMode(db);
  return json(200, { now, day, entryExit, counts: deskCounts(db, entryExit ? day : undefined), days: presenceDays(db) });
}

export async function scanResponse(context: APIContext): Promise<Response> {
  const stop = refused(context, false);
  if (stop) return stop;
  // Against cross-site requests: a page of this site only (a form post would need the same check).
  const origin = context.request.headers.get("origin");
  if (origin !== context.url.origin) return json(403, { error: "origin" });
  if (!(context.request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json"))
    return json(415, { error: "json_only" });
  const text = await readBoundedText(context.request, MAX_BODY);
  if (text === undefined) return json(413, { error: "too_large" });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return json(400, { error: "malformed" });
  }
  const parsed = scanBatchSchema.safeParse(body);
  if (!parsed.success) return json(400, { error: "malformed" });
  const { user } = context.locals.principal!;
  const deps = registrationDeps();
  const answers = parsed.data.scans.map((scan) => scanAtDesk(deps, { id: user.id, email: user.email }, scan));
  const entryExit = entryExitMode(deps.db);
  return json(200, {
    answers,
    entryExit,
    counts: deskCounts(deps.db, entryExit ? forumDay(Date.now(), deps.edition.timezone) : undefined),
  });
}

/** The service worker of the desk at `scope` (`/admin/checkin` or `/fr/admin/checkin`). */
export function workerResponse(context: APIContext, scope: string): Response {
  const stop = refused(context, true);
  if (stop) return stop;
  return new Response(deskWorker.replace("__SCOPE__", JSON.stringify(scope)), {
    status: 200,
    headers: { ...PRIVATE, "Content-Type": "text/javascript; charset=utf-8", "Service-Worker-Allowed": scope },
  });
}
