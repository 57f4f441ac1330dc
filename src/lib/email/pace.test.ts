import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import {
  acquirePace,
  loadPace,
  observe,
  PACE_MARGIN_MS,
  paceAllows,
  parseRetryAfter,
  rateInfoOf,
  reserve,
  savePace,
  IN_FLIGHT_POLL_MS,
  type PaceState,
  type RateInfo,
} from "./pace.ts";

const T0 = Date.UTC(2013, 6, 1, 8, 0, 0);
const SETTINGS = { limit: 2, windowMs: 1_000 };
const SPAN = 1_000 + PACE_MARGIN_MS;
const FRESH: PaceState = { quota: null, recent: [], roundTrips: [], blockedUntil: 0, inFlight: [] };

/** Reserves, expecting room: the request is then in flight (for at most `flightMs`). */
function go(state: PaceState, now: number, flightMs = 5_000): PaceState {
  const r = reserve(state, now, SETTINGS, flightMs);
  if (!r.ok) throw new Error(`no room at ${now - T0}: wait until ${r.until - T0}`);
  return r.state;
}

/** Reserves and records the answer at `receivedAt`. */
function sent(state: PaceState, now: number, receivedAt = now, info: RateInfo = {}): PaceState {
  return observe(go(state, now), info, { sentAt: now, receivedAt });
}

describe("reserve", () => {
  it("allows `limit` requests in any window, then says when the oldest leaves it", () => {
    let state = sent(FRESH, T0);
    state = sent(state, T0 + 300);
    expect(state).toMatchObject({ recent: [T0, T0 + 300], inFlight: [] });
    expect(reserve(state, T0 + 400, SETTINGS)).toEqual({ ok: false, until: T0 + SPAN });
    state = sent(state, T0 + SPAN);
    expect(reserve(state, T0 + SPAN + 1, SETTINGS)).toEqual({ ok: false, until: T0 + 300 + SPAN });
    expect(state.recent).toEqual([T0 + 300, T0 + SPAN]);
  });

  it("counts a request in flight in every window until its answer says when it arrived, or its time-out passed", () => {
    let state = go(FRESH, T0);
    state = go(state, T0 + 5);
    expect(state.inFlight).toEqual([
      { at: T0, until: T0 + 5_000 },
      { at: T0 + 5, until: T0 + 5_005 },
    ]);
    // A second and a half later neither is answered (a process starved of CPU may send late): no
    // room yet, look again in a moment.
    expect(reserve(state, T0 + 1_500, SETTINGS)).toEqual({ ok: false, until: T0 + 1_500 + IN_FLIGHT_POLL_MS });
    state = observe(state, {}, { sentAt: T0, receivedAt: T0 + 1_400 });
    expect(state).toMatchObject({ recent: [T0 + 1_400], inFlight: [{ at: T0 + 5, until: T0 + 5_005 }] });
    expect(reserve(state, T0 + 1_500, SETTINGS)).toEqual({ ok: false, until: T0 + 1_500 + IN_FLIGHT_POLL_MS });
    state = observe(state, {}, { sentAt: T0 + 5, receivedAt: T0 + 1_450 });
    // Both answered: they may have reached the provider as late as their answers, and count from then.
    expect(reserve(state, T0 + 1_500, SETTINGS)).toEqual({ ok: false, until: T0 + 1_400 + SPAN });
    expect(reserve(state, T0 + 1_400 + SPAN, SETTINGS).ok).toBe(true);

    // Never answered (its process died): it reached the provider by its time-out, if at all.
    const orphans = go(go(FRESH, T0, 2_000), T0 + 1, 2_000);
    expect(reserve(orphans, T0 + 1_999, SETTINGS)).toEqual({ ok: false, until: T0 + 1_999 + IN_FLIGHT_POLL_MS });
    expect(reserve(orphans, T0 + 2_002, SETTINGS)).toEqual({ ok: false, until: T0 + 2_000 + SPAN });
    const later = reserve(orphans, T0 + 2_001 + SPAN, SETTINGS);
    expect(later.ok && later.state.inFlight).toEqual([{ at: T0 + 2_001 + SPAN, until: T0 + 2_001 + SPAN + 1_000 }]);
  });

  it("follows the provider's limit once told, and waits out a retry-after", () => {
    let state = observe(
      go({ ...FRESH, roundTrips: [20, 20, 20] }, T0),
      { limit: 5, remaining: 4, resetMs: 1_000 },
      { sentAt: T0, receivedAt: T0 + 20 },
    );
    for (let i = 1; i < 5; i++) state = sent(state, T0 + 30 + i);
    expect(reserve(state, T0 + 40, SETTINGS)).toEqual({ ok: false, until: T0 + SPAN });
    state = observe(state, { retryAfterMs: 3_000 }, { sentAt: T0 + 35, receivedAt: T0 + 50 });
    expect(reserve(state, T0 + 2_000, SETTINGS)).toEqual({ ok: false, until: T0 + 3_050 });
    expect(reserve(state, T0 + 3_050, SETTINGS).ok).toBe(true);
  });

  it("waits for the provider's reset when others spend its window, counted from when the request reached it", () => {
    // One request of ours, and nothing left: another application of the team sends too.
    const state = observe(go(FRESH, T0), { limit: 2, remaining: 0, resetMs: 1_000 }, { sentAt: T0, receivedAt: T0 + 300 });
    expect(state).toMatchObject({ quota: 2, blockedUntil: T0 + 300 + 1_000 + PACE_MARGIN_MS, roundTrips: [300] });
    const later = observe(state, { limit: 2, remaining: 1, resetMs: 1_000 }, { sentAt: T0, receivedAt: T0 + 10 });
    expect(later.blockedUntil).toBe(state.blockedUntil);
    // Our own two spent it: the sliding window already waits as long as needed.
    let ours = observe(go(FRESH, T0), { limit: 2, remaining: 1, resetMs: 1_000 }, { sentAt: T0, receivedAt: T0 + 20 });
    ours = observe(go(ours, T0 + 400), { limit: 2, remaining: 0, resetMs: 1_000 }, { sentAt: T0 + 400, receivedAt: T0 + 420 });
    expect(ours.blockedUntil).toBe(0);
  });

  it("counts a request slower than the shortest round trip as having reached the provider that much later", () => {
    let state: PaceState = { ...FRESH, roundTrips: [20, 25, 30] };
    state = go(state, T0);
    state = observe(state, {}, { sentAt: T0, receivedAt: T0 + 20 });
    state = go(state, T0 + 100);
    // 250 ms where 20 is usual: it may have left 230 ms late, and counts from then.
    state = observe(state, {}, { sentAt: T0 + 100, receivedAt: T0 + 350 });
    expect(state.recent).toEqual([T0, T0 + 330]);
    const third = sent(state, T0 + SPAN);
    expect(reserve(third, T0 + 100 + SPAN, SETTINGS)).toEqual({ ok: false, until: T0 + 330 + SPAN });
    // A connection that failed tells no round trip, but may have arrived late all the same.
    const failed = observe(go({ ...FRESH, roundTrips: [20, 25, 30] }, T0), {}, { sentAt: T0, receivedAt: T0 + 500, answered: false });
    expect(failed).toMatchObject({ recent: [T0 + 480], roundTrips: [20, 25, 30] });
    // Before a few round trips are known, a request counts as late as its answer.
    expect(observe(go(FRESH, T0), {}, { sentAt: T0, receivedAt: T0 + 260 }).recent).toEqual([T0 + 260]);
  });
});

describe("the shared record", () => {
  it("is counted by every worker on the database, and a claim's question records nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "forum-pace-"));
    const [a, b] = [openDatabase(join(dir, "forum.db")), openDatabase(join(dir, "forum.db"))];
    try {
      expect(paceAllows(a, T0, SETTINGS)).toEqual({ ok: true });
      expect(loadPace(a)).toMatchObject({ recent: [], inFlight: [] });
      expect(acquirePace(a, T0, SETTINGS, 3_000)).toEqual({ ok: true });
      expect(acquirePace(b, T0 + 5, SETTINGS, 3_000)).toEqual({ ok: true });
      // Both in flight, one from each process: no room until an answer says when one arrived.
      expect(acquirePace(a, T0 + 10, SETTINGS)).toEqual({ ok: false, until: T0 + 10 + IN_FLIGHT_POLL_MS });
      expect(paceAllows(b, T0 + 10, SETTINGS)).toEqual({ ok: false, until: T0 + 10 + IN_FLIGHT_POLL_MS });
      expect(loadPace(b).inFlight).toEqual([
        { at: T0, until: T0 + 3_000 },
        { at: T0 + 5, until: T0 + 3_005 },
      ]);
      // The answers, each recorded by its own process.
      savePace(a, observe(loadPace(a), {}, { sentAt: T0, receivedAt: T0 + 20 }));
      savePace(b, observe(loadPace(b), {}, { sentAt: T0 + 5, receivedAt: T0 + 30 }));
      expect(loadPace(a)).toMatchObject({ recent: [T0 + 20, T0 + 30], inFlight: [] });
      expect(acquirePace(a, T0 + 40, SETTINGS)).toEqual({ ok: false, until: T0 + 20 + SPAN });
      expect(paceAllows(b, T0 + 40, SETTINGS)).toEqual({ ok: false, until: T0 + 20 + SPAN });
      expect(loadPace(b).inFlight).toEqual([]);
    } finally {
      a.$client.close();
      b.$client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("against a provider with fixed windows and whole-second resets", () => {
  /** A Resend-like limiter: `limit` per clock second, reset rounded up to whole seconds. */
  function provider(limit: number) {
    const used = new Map<number, number>();
    return (at: number) => {
      const second = Math.floor(at / 1000);
      const n = (used.get(second) ?? 0) + 1;
      used.set(second, n);
      const reset = Math.max(1, Math.ceil(((second + 1) * 1000 - at) / 1000));
      return n > limit
        ? { ok: false, info: { limit, remaining: 0, resetMs: reset * 1000, retryAfterMs: reset * 1000 } }
        : { ok: true, info: { limit, remaining: limit - n, resetMs: reset * 1000 } };
    };
  }

  it("never draws a 429 and keeps above 95 % of the allowed rate, whatever the round trip and the pauses", () => {
    for (const latency of [5, 120, 450, 900]) {
      for (const offset of [0, 130, 730, 999]) {
        const answer = provider(2);
        let state: PaceState = FRESH;
        let accepted = 0;
        let refused = 0;
        const start = T0 + offset;
        const end = start + 300_000;
        // Two requests in flight at most, as the worker's two lanes; now and then a lane stops a while
        // (a render, a back-off), so that requests do not always leave together.
        const lanes = [start, start + 1];
        let n = 0;
        while (Math.min(...lanes) < end) {
          const lane = lanes.indexOf(Math.min(...lanes));
          const now = lanes[lane]!;
          const r = reserve(state, now, SETTINGS);
          if (!r.ok) {
            lanes[lane] = r.until;
            continue;
          }
          state = r.state;
          // It reaches the provider a moment later, give or take.
          const result = answer(now + 1 + ((n++ * 7919) % 9));
          if (result.ok) accepted++;
          else refused++;
          state = observe(state, result.info, { sentAt: now, receivedAt: now + latency });
          lanes[lane] = now + latency + (n % 17 === 0 ? 333 : 0);
        }
        expect({ latency, offset, refused }).toEqual({ latency, offset, refused: 0 });
        // A round trip near the window's length leaves two lanes out of step: not a rate to promise.
        if (latency < 900) expect(accepted / 600, `latency ${latency}, offset ${offset}`).toBeGreaterThanOrEqual(0.95);
      }
    }
  });
  it("never draws a 429 from two processes whose requests now and then leave late (a starved process), and still keeps most of the rate", () => {
    for (const seed of [1, 7, 42, 1_234, 99_991]) {
      const answer = provider(2);
      let state: PaceState = FRESH;
      let accepted = 0;
      let refused = 0;
      let random = seed;
      const next = () => (random = (random * 48_271) % 2_147_483_647) / 2_147_483_647;
      type Event = { at: number; worker: number } & ({ kind: "try" } | { kind: "answer"; sentAt: number; arrival: number });
      const events: Event[] = [
        { at: T0, worker: 0, kind: "try" },
        { at: T0 + 3, worker: 1, kind: "try" },
      ];
      const end = T0 + 120_000;
      for (;;) {
        events.sort((a, b) => a.at - b.at);
        const event = events.shift();
        if (!event || event.at > end) break;
        if (event.kind === "try") {
          const r = reserve(state, event.at, SETTINGS, 2_000);
          if (!r.ok) {
            events.push({ at: r.until, worker: event.worker, kind: "try" });
            continue;
          }
          state = r.state;
          // One request in ten leaves up to 1.5 s after it was counted (its process descheduled);
          // the others a few ms; every answer comes back at once.
          const late = next() < 0.1 ? 200 + next() * 1_300 : next() * 5;
          const arrival = event.at + late;
          events.push({ at: arrival + 1 + next() * 3, worker: event.worker, kind: "answer", sentAt: event.at, arrival });
        } else {
          const result = answer(event.arrival);
          if (result.ok) accepted++;
          else refused++;
          state = observe(state, result.info, { sentAt: event.sentAt, receivedAt: event.at });
          events.push({ at: event.at + (next() < 0.1 ? 300 : 0), worker: event.worker, kind: "try" });
        }
      }
      expect({ seed, refused }).toEqual({ seed, refused: 0 });
      // 240 allowed in 120 s; the late requests hold their place until answered.
      expect(accepted / 240, `seed ${seed}`).toBeGreaterThanOrEqual(0.8);
    }
  });
});

describe("rateInfoOf", () => {
  it("reads Resend's headers, and a 429's retry-after", () => {
    expect(rateInfoOf({ "ratelimit-limit": "2", "ratelimit-remaining": "1", "ratelimit-reset": "1" }, 200)).toEqual({
      limit: 2,
      remaining: 1,
      resetMs: 1_000,
    });
    expect(rateInfoOf({ "ratelimit-limit": "2", "ratelimit-remaining": "0", "ratelimit-reset": "1", "retry-after": "2" }, 429)).toEqual({
      limit: 2,
      remaining: 0,
      resetMs: 1_000,
      retryAfterMs: 2_000,
    });
    expect(rateInfoOf({}, 429)).toEqual({ retryAfterMs: 1_000 });
    expect(rateInfoOf({ "ratelimit-limit": "lots" }, 200)).toEqual({});
    expect(rateInfoOf(null, undefined)).toEqual({});
  });

  it("reads retry-after as seconds or an HTTP date", () => {
    expect(parseRetryAfter("1.5")).toBe(1_500);
    expect(parseRetryAfter(new Date(T0 + 4_000).toUTCString(), T0)).toBe(4_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
