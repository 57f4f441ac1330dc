import { eq } from "drizzle-orm";
import type { Db, DbLike } from "../../../db/client.ts";
import { mailPace } from "../../../db/schema/outbox.ts";

/**
 * The provider's pace. Resend allows a number of requests per window (2 a second by default, per
 * team) and says where a request stands in its answer's headers (`ratelimit-limit`,
 * `ratelimit-remaining`, `ratelimit-reset`, and `retry-after` on a 429). Every worker on the
 * database shares one record (the `mail_pace` row): when the latest requests reached the provider,
 * the limit it gave, and until when it asked to wait. A request is made only when fewer than the
 * limit reached it within the last window and a margin (a sliding window: whatever the provider's
 * own window boundaries, none of its windows then sees more than the limit), and is recorded in the
 * transaction that allows it, just before it leaves. A request's arrival is not seen, only its
 * round trip: one slower than the shortest lately may have arrived that much later, and is
 * recorded so once answered. Until then it is *in flight*: it may reach the provider at any moment
 * before its answer (a process starved of CPU can send it a second late), so it fills its place in
 * every window until it is answered or its time-out has passed. So requests go as fast as the
 * provider allows, never faster, however many processes send and however loaded the machine.
 */

/** What the pace starts from before the provider said anything, and when its answers say nothing. */
export interface PaceSettings {
  /** Requests per window (MAIL_RATE_LIMIT; Resend's default is 2 a second). */
  limit: number;
  /** The window's length in ms (1 s for Resend). */
  windowMs: number;
  /**
   * Added to the window against differences in the time requests take to reach the provider that
   * the round trips do not show (requests still in flight, another process's). MAIL_PACE_MARGIN_MS.
   */
  marginMs?: number;
}

/** Default margin: what requests on one machine differ by when they leave. */
export const PACE_MARGIN_MS = 25;

/** Resend's default: 2 requests a second per team. */
export const DEFAULT_PACE: PaceSettings = { limit: 2, windowMs: 1_000, marginMs: PACE_MARGIN_MS };

/** While a request in flight holds the last place in the window, how often to look again for its answer (ms). */
export const IN_FLIGHT_POLL_MS = 10;

/** Round trips remembered, for the shortest of them. */
const ROUND_TRIPS = 20;
/** Round trips known before the shortest is trusted. */
const KNOWN_ROUND_TRIPS = 3;

/** The shared record (times in ms). */
export interface PaceState {
  /** Requests per window as the provider last said; null until it has. */
  quota: number | null;
  /** When the latest requests reached the provider, as far as known (never more than the quota's worth are needed). */
  recent: number[];
  /** The latest round trips, in ms. */
  roundTrips: number[];
  /** No request before this time (a 429's `retry-after`, a spent window, an account problem). */
  blockedUntil: number;
  /**
   * Requests made and not answered yet: when each was counted, and until when it can still reach the
   * provider (its time-out; a process that died with it in flight left it there until then).
   */
  inFlight: InFlight[];
}

/** A request made and not answered yet. */
export interface InFlight {
  at: number;
  until: number;
}

/** What one answer said about the pace. */
export interface RateInfo {
  limit?: number;
  remaining?: number;
  /** Until the provider's window resets, in ms. */
  resetMs?: number;
  /** Only after a refusal for the pace (429) or of the account: wait this long. */
  retryAfterMs?: number;
}

const FRESH: PaceState = { quota: null, recent: [], roundTrips: [], blockedUntil: 0, inFlight: [] };

/** Go (with the request recorded in `state`), or wait until `until`. */
export type Reservation = { ok: true; state: PaceState } | { ok: false; until: number };

/**
 * Asks for one request at `now` that cannot reach the provider after `now + flightMs` (its
 * time-out): allowed when fewer than the quota reached it within the last window or are in flight,
 * and nothing asked to wait. When a request in flight holds the last place, the answer is to look
 * again shortly: its answer tells when it arrived.
 */
export function reserve(state: PaceState, now: number, settings: PaceSettings, flightMs: number = settings.windowMs): Reservation {
  if (now < state.blockedUntil) return { ok: false, until: state.blockedUntil };
  const quota = Math.max(1, state.quota ?? settings.limit);
  const span = settings.windowMs + (settings.marginMs ?? PACE_MARGIN_MS);
  // A request in flight past its time-out reached the provider by then, if at all: counted as then.
  const inFlight = state.inFlight.filter((f) => f.until > now);
  const timedOut = state.inFlight.filter((f) => f.until <= now).map((f) => f.until);
  const recent = [...state.recent, ...timedOut]
    .filter((at) => at > now - span)
    .sort((a, b) => a - b)
    .slice(-quota);
  if (recent.length + inFlight.length >= quota) {
    const until = recent.length >= quota ? recent[recent.length - quota]! + span : now + IN_FLIGHT_POLL_MS;
    return { ok: false, until };
  }
  return { ok: true, state: { ...state, recent, inFlight: [...inFlight, { at: now, until: now + Math.max(0, flightMs) }] } };
}

/**
 * Corrects the record with what became of a request made at `sentAt`, known at `receivedAt`
 * (`answered`: the provider answered, with `info` from its headers): when it reached the provider
 * (a round trip longer than the shortest lately may have been that much late on the way out); the
 * provider's limit; its `retry-after`; and when nothing remains in its window though our own
 * requests do not fill it (others of the same team send too), no request before its reset.
 */
export function observe(
  state: PaceState,
  info: RateInfo,
  {
    sentAt,
    receivedAt,
    answered = true,
    windowMs = DEFAULT_PACE.windowMs,
    marginMs = PACE_MARGIN_MS,
  }: { sentAt: number; receivedAt: number; answered?: boolean; windowMs?: number; marginMs?: number },
): PaceState {
  const next: PaceState = { ...state, recent: [...state.recent], roundTrips: [...state.roundTrips], inFlight: [...state.inFlight] };
  const roundTrip = Math.max(0, receivedAt - sentAt);
  // Until a few round trips are known (the first requests of a process are slow to leave), a
  // request counts as reaching the provider as late as it could: when its answer came.
  const known = state.roundTrips.length >= KNOWN_ROUND_TRIPS;
  if (answered) next.roundTrips = [...next.roundTrips, roundTrip].slice(-ROUND_TRIPS);
  const arrival = known ? sentAt + Math.max(0, roundTrip - Math.min(...next.roundTrips)) : receivedAt;
  // No longer in flight: it reached the provider at `arrival` at the latest (as far as known).
  const flying = next.inFlight.findIndex((f) => f.at === sentAt);
  if (flying >= 0) next.inFlight.splice(flying, 1);
  next.recent = [...next.recent, arrival].sort((a, b) => a - b);
  if (info.limit !== undefined && info.limit >= 1) next.quota = Math.floor(info.limit);
  if (info.retryAfterMs !== undefined) next.blockedUntil = Math.max(next.blockedUntil, receivedAt + info.retryAfterMs);
  // Nothing left in the provider's window though fewer than the limit of ours reached it within a
  // window: someone else (another application of the team) spends it too; wait for its reset.
  if (info.remaining !== undefined && info.remaining <= 0 && info.resetMs !== undefined) {
    const quota = next.quota ?? 1;
    const ours = next.recent.filter((t) => t > arrival - windowMs - marginMs && t <= arrival).length;
    if (ours < quota) next.blockedUntil = Math.max(next.blockedUntil, arrival + info.resetMs + marginMs);
  }
  return next;
}

/** The shared record (a fresh one before the first request). */
export function loadPace(db: Pick<DbLike, "select">): PaceState {
  const row = db.select().from(mailPace).where(eq(mailPace.id, 1)).get();
  const numbers = (value: unknown) => (Array.isArray(value) ? value.filter((n): n is number => typeof n === "number") : []);
  const flights = (value: unknown) =>
    Array.isArray(value)
      ? value.filter((f): f is InFlight => typeof f === "object" && f !== null && typeof f.at === "number" && typeof f.until === "number")
      : [];
  return row
    ? {
        quota: row.quota,
        recent: numbers(row.recent),
        roundTrips: numbers(row.roundTrips),
        blockedUntil: row.blockedUntil,
        inFlight: flights(row.inFlight),
      }
    : { ...FRESH, recent: [], roundTrips: [], inFlight: [] };
}

/** Writes the shared record (inside the caller's transaction). */
export function savePace(db: Pick<DbLike, "insert">, state: PaceState): void {
  db.insert(mailPace)
    .values({ id: 1, ...state })
    .onConflictDoUpdate({ target: mailPace.id, set: { ...state } })
    .run();
}

/** Whether a request could be made at `now`, recording nothing (the claim asks before it takes messages). */
export function paceAllows(db: Pick<DbLike, "select">, now: number, settings: PaceSettings): { ok: true } | { ok: false; until: number } {
  const reservation = reserve(loadPace(db), now, settings);
  return reservation.ok ? { ok: true } : reservation;
}

/**
 * Records a request at `now` that times out after `flightMs` if the pace allows it, in an IMMEDIATE
 * transaction shared by every worker; else says until when to wait.
 */
export function acquirePace(db: Db, now: number, settings: PaceSettings, flightMs?: number): { ok: true } | { ok: false; until: number } {
  return db.transaction(
    (tx) => {
      const reservation = reserve(loadPace(tx), now, settings, flightMs);
      if (!reservation.ok) return reservation;
      savePace(tx, reservation.state);
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** `ratelimit-*` and `retry-after` of an answer, as RateInfo (headers as the SDK gives them: lower-case names). */
export function rateInfoOf(
  headers: Record<string, string> | null | undefined,
  status: number | undefined,
  now: number = Date.now(),
): RateInfo {
  if (!headers) return {};
  const info: RateInfo = {};
  const number = (value: string | undefined) => {
    if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
    return Number(value);
  };
  const limit = number(headers["ratelimit-limit"]);
  if (limit !== undefined) info.limit = limit;
  const remaining = number(headers["ratelimit-remaining"]);
  if (remaining !== undefined) info.remaining = remaining;
  const reset = number(headers["ratelimit-reset"]);
  if (reset !== undefined) info.resetMs = Math.round(reset * 1000);
  if (status === 429) info.retryAfterMs = parseRetryAfter(headers["retry-after"], now) ?? info.resetMs ?? 1_000;
  return info;
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
