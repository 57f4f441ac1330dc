import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { outbox } from "../../../db/schema/outbox.ts";
import { mailGroups } from "../../../db/schema/outbox.ts";
import { createGroup } from "./groups.ts";
import { acquirePace, loadPace, observe, PACE_MARGIN_MS, savePace } from "./pace.ts";
import {
  batchKey,
  claimNext,
  claimRequest,
  DEFAULT_RETRY,
  enqueue,
  PACE_LOOKAHEAD_MS,
  priorityOf,
  recordRequest,
  rekey,
  releaseClaim,
  retryDelayBefore,
  markFailed,
  markSent,
  MAX_ATTEMPTS,
  requeueFailed,
  retryDelay,
  scheduleRetry,
  type NewMessage,
} from "./outbox.ts";

const T0 = Date.UTC(2013, 6, 1, 8, 0, 0);
const LEASE = 60_000;
const message = (recipient = "ada@example.org"): NewMessage => ({
  template: "registration.confirm_address",
  language: "fr",
  recipient,
  payload: { name: "Ada", manageNonce: "nonce" },
});

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-outbox-"));
  db = openDatabase(join(dir, "forum.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (id: string) => db.select().from(outbox).where(eq(outbox.id, id)).get()!;
const count = () => db.select().from(outbox).all().length;

describe("enqueue", () => {
  it("writes a pending message due now, in the caller's transaction", () => {
    const id = db.transaction((tx) => enqueue(tx, { ...message(), registrationId: null }, T0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row(id)).toEqual({
      id,
      template: "registration.confirm_address",
      language: "fr",
      recipient: "ada@example.org",
      payload: { name: "Ada", manageNonce: "nonce" },
      state: "pending",
      priority: 1,
      attempts: 0,
      nextAttemptAt: new Date(T0),
      expiresAt: null,
      leaseUntil: null,
      batchId: null,
      groupId: null,
      lastError: null,
      providerMessageId: null,
      delivery: null,
      deliveryDetail: null,
      deliveryAt: null,
      registrationId: null,
      createdAt: new Date(T0),
      sentAt: null,
    });
  });

  it("leaves nothing when the transaction rolls back", () => {
    expect(() =>
      db.transaction((tx) => {
        enqueue(tx, message(), T0);
        throw new Error("the change failed");
      }),
    ).toThrow("the change failed");
    expect(count()).toBe(0);
  });
});

describe("claimNext", () => {
  it("takes the oldest due message, leases it and counts the attempt", () => {
    const first = enqueue(db, message("a@example.org"), T0);
    const second = enqueue(db, message("b@example.org"), T0 + 1);
    enqueue(db, message("later@example.org"), T0 + 10_000);

    const claimed = claimNext(db, { now: T0 + 5, leaseMs: LEASE })!;
    expect(claimed.id).toBe(first);
    expect(claimed).toMatchObject({ state: "sending", attempts: 1, leaseUntil: new Date(T0 + 5 + LEASE) });
    expect(row(first)).toMatchObject({ state: "sending", attempts: 1 });
    expect(claimNext(db, { now: T0 + 5, leaseMs: LEASE })!.id).toBe(second);
    // The third is not due yet, the first two are held.
    expect(claimNext(db, { now: T0 + 5, leaseMs: LEASE })).toBeUndefined();
  });

  it("does not take a leased message again until its lease has expired, then does", () => {
    const id = enqueue(db, message(), T0);
    claimNext(db, { now: T0, leaseMs: LEASE });
    expect(claimNext(db, { now: T0 + LEASE - 1, leaseMs: LEASE })).toBeUndefined();
    expect(claimNext(db, { now: T0 + LEASE, leaseMs: LEASE })).toBeUndefined();
    const again = claimNext(db, { now: T0 + LEASE + 1, leaseMs: LEASE })!;
    expect(again).toMatchObject({ id, state: "sending", attempts: 2, leaseUntil: new Date(T0 + 2 * LEASE + 1) });
  });

  it("gives up a message whose worker died at its last allowed attempt", () => {
    const id = enqueue(db, message(), T0);
    let now = T0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(claimNext(db, { now, leaseMs: LEASE })).toMatchObject({ id, attempts: attempt });
      now += LEASE + 1; // the worker died: the lease runs out
    }
    expect(claimNext(db, { now, leaseMs: LEASE })).toBeUndefined();
    expect(row(id)).toMatchObject({ state: "failed", attempts: MAX_ATTEMPTS, leaseUntil: null });
    expect(row(id).lastError).toBe(`Abandoned after ${MAX_ATTEMPTS} attempts: the worker stopped while sending`);
  });

  it("never takes a sent or failed message", () => {
    const sent = enqueue(db, message(), T0);
    const failed = enqueue(db, message(), T0);
    claimNext(db, { now: T0, leaseMs: LEASE });
    claimNext(db, { now: T0, leaseMs: LEASE });
    markSent(db, sent, "provider-1", T0 + 1);
    expect(markFailed(db, failed, "rejected")).toBe(true);
    expect(claimNext(db, { now: T0 + 10 * LEASE, leaseMs: LEASE })).toBeUndefined();
    expect(row(sent)).toMatchObject({ state: "sent", providerMessageId: "provider-1", sentAt: new Date(T0 + 1), leaseUntil: null });
    expect(row(failed)).toMatchObject({ state: "failed", lastError: "rejected" });
  });
});

describe("retries", () => {
  it("puts a message back until its next attempt, keeping the error", () => {
    const id = enqueue(db, message(), T0);
    claimNext(db, { now: T0, leaseMs: LEASE });
    expect(scheduleRetry(db, id, "Resend 500: boom", T0 + 30_000)).toBe(true);
    expect(row(id)).toMatchObject({
      state: "pending",
      attempts: 1,
      lastError: "Resend 500: boom",
      nextAttemptAt: new Date(T0 + 30_000),
      leaseUntil: null,
    });
    expect(claimNext(db, { now: T0 + 29_999, leaseMs: LEASE })).toBeUndefined();
    expect(claimNext(db, { now: T0 + 30_000, leaseMs: LEASE })).toMatchObject({ id, attempts: 2 });
  });

  it("gives the attempt back for a rate limit", () => {
    const id = enqueue(db, message(), T0);
    claimNext(db, { now: T0, leaseMs: LEASE });
    scheduleRetry(db, id, "Resend 429", T0 + 1_000, { countAttempt: false });
    expect(row(id)).toMatchObject({ state: "pending", attempts: 0 });
  });

  it("does not undo what another worker recorded after taking the message over", () => {
    const id = enqueue(db, message(), T0);
    claimNext(db, { now: T0, leaseMs: LEASE });
    markSent(db, id, "provider-1", T0 + 1);
    // The first worker, late, reports a failure: the message stays sent.
    expect(scheduleRetry(db, id, "timeout", T0 + 30_000)).toBe(false);
    expect(markFailed(db, id, "timeout")).toBe(false);
    expect(row(id)).toMatchObject({ state: "sent", lastError: null });
  });

  it("requeues a failed message with a fresh count, under the same id", () => {
    const id = enqueue(db, message(), T0);
    claimNext(db, { now: T0, leaseMs: LEASE });
    markFailed(db, id, "Resend 403: domain not verified");
    expect(requeueFailed(db, id, T0 + 5)).toBe(true);
    expect(row(id)).toMatchObject({ state: "pending", attempts: 0, nextAttemptAt: new Date(T0 + 5) });
    expect(requeueFailed(db, id, T0 + 5)).toBe(false);
  });
});

describe("retryDelay", () => {
  it("doubles from the base, caps at the maximum, and takes up to half off at random", () => {
    const most = (attempt: number) => retryDelay(attempt, DEFAULT_RETRY, () => 1);
    const least = (attempt: number) => retryDelay(attempt, DEFAULT_RETRY, () => 0);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map(most)).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000,
    ]);
    expect([1, 2, 8, 20].map(least)).toEqual([15_000, 30_000, 1_800_000, 1_800_000]);
    expect(retryDelay(3, DEFAULT_RETRY, () => 0.5)).toBe(90_000);
    expect(retryDelay(4, { baseMs: 100, maxMs: 500 }, () => 1)).toBe(500);
  });

  it("with the defaults, keeps a message alive through 6.5 to 13 hours of outage", () => {
    let total = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) total += retryDelay(attempt, DEFAULT_RETRY, () => 0);
    expect(total / 3_600_000).toBeGreaterThan(6.5);
    total = 0;
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) total += retryDelay(attempt, DEFAULT_RETRY, () => 1);
    expect(total / 3_600_000).toBeLessThan(13.1);
  });
});

/** A claim that must be a request. */
function request(claim: ReturnType<typeof claimRequest>) {
  if (claim.kind !== "request") throw new Error(`expected a request, got ${JSON.stringify(claim)}`);
  return claim;
}
const of = (template: NewMessage["template"], recipient: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  template,
  language: "en",
  recipient,
  payload: { name: recipient },
  ...extra,
});

describe("claimRequest", () => {
  it("fills a batch with new messages in priority order, and gives it a key derived from its members", () => {
    const group = enqueue(db, of("announcement", "group@example.org"), T0);
    const state = enqueue(db, of("registration.cancelled", "state@example.org"), T0 + 1);
    const signIn = enqueue(db, of("auth.sign_in", "signin@example.org"), T0 + 2);
    const claim = request(claimRequest(db, { now: T0 + 5, leaseMs: LEASE }));
    expect(claim.fresh).toBe(true);
    expect(claim.key).toBe(batchKey([group, state, signIn]));
    expect(claim.key).toBe(batchKey([signIn, group, state]));
    expect(claim.key).toMatch(/^batch-[A-Za-z0-9_-]{43}$/);
    expect(claim.rows.map((r) => r.id)).toEqual([group, state, signIn].sort());
    for (const id of [group, state, signIn]) expect(row(id)).toMatchObject({ state: "sending", attempts: 1, batchId: claim.key });
    expect(claimRequest(db, { now: T0 + 5, leaseMs: LEASE })).toEqual({ kind: "idle" });
  });

  it("takes sign-in first, then state changes, then group messages, oldest first within each", () => {
    expect([priorityOf("auth.sign_in"), priorityOf("registration.manage_link")]).toEqual([0, 0]);
    expect([priorityOf("registration.confirm_address"), priorityOf("cfp.accepted")]).toEqual([1, 1]);
    expect([priorityOf("announcement"), priorityOf("programme.release")]).toEqual([2, 2]);
    const ids = [
      enqueue(db, of("programme.release", "r@example.org"), T0),
      enqueue(db, of("announcement", "a@example.org"), T0 + 1),
      enqueue(db, of("registration.confirm_address", "c@example.org"), T0 + 2),
      enqueue(db, of("registration.cancelled", "x@example.org"), T0 + 3),
      enqueue(db, of("auth.sign_in", "s@example.org"), T0 + 4),
    ];
    const order: string[] = [];
    for (;;) {
      const claim = claimRequest(db, { now: T0 + 10, leaseMs: LEASE, maxBatch: 2 });
      if (claim.kind !== "request") break;
      order.push(
        claim.rows
          .map((r) => r.recipient)
          .sort()
          .join("+"),
      );
    }
    expect(order).toEqual(["c@example.org+s@example.org", "r@example.org+x@example.org", "a@example.org"]);
    expect(ids).toHaveLength(5);
  });

  it("sends a message with attachments alone, under its own id, and batches the others around it", () => {
    const alone = (r: { template: string }) => r.template === "registration.confirmed";
    const a = enqueue(db, of("registration.cancelled", "a@example.org"), T0);
    const ticket = enqueue(db, of("registration.confirmed", "t@example.org"), T0 + 1);
    const b = enqueue(db, of("registration.cancelled", "b@example.org"), T0 + 2);
    const first = request(claimRequest(db, { now: T0 + 5, leaseMs: LEASE, alone }));
    expect(first.rows.map((r) => r.id).sort()).toEqual([a, b].sort());
    const second = request(claimRequest(db, { now: T0 + 5, leaseMs: LEASE, alone }));
    expect(second).toMatchObject({ key: ticket, fresh: true });
    expect(second.rows.map((r) => r.id)).toEqual([ticket]);
    // A single new message goes alone too, under its id.
    const c = enqueue(db, of("registration.cancelled", "c@example.org"), T0 + 6);
    expect(request(claimRequest(db, { now: T0 + 7, leaseMs: LEASE, alone }))).toMatchObject({ key: c, fresh: true });
  });

  it("makes a request whose answer was lost again with the same key and the same members, whatever came since", () => {
    const members = [0, 1, 2].map((i) => enqueue(db, of("announcement", `m${i}@example.org`), T0 + i));
    const claim = request(claimRequest(db, { now: T0 + 5, leaseMs: LEASE }));
    recordRequest(db, claim, { kind: "retry", error: "Resend: no answer", nextAttemptAt: T0 + 1_000, certain: false }, { now: T0 + 10 });
    for (const id of members)
      expect(row(id)).toMatchObject({ state: "pending", batchId: claim.key, attempts: 1, lastError: "Resend: no answer" });
    // A sign-in code queued since goes first, in a request of its own: the lost batch is not reopened.
    const signIn = enqueue(db, of("auth.sign_in", "s@example.org"), T0 + 20);
    enqueue(db, of("announcement", "late@example.org"), T0 + 30);
    const urgent = request(claimRequest(db, { now: T0 + 1_000, leaseMs: LEASE }));
    expect(urgent.rows.map((r) => r.id)).toContain(signIn);
    expect(urgent.rows.some((r) => members.includes(r.id))).toBe(false);
    const again = request(claimRequest(db, { now: T0 + 1_000, leaseMs: LEASE }));
    expect(again).toMatchObject({ key: claim.key, fresh: false });
    expect(again.rows.map((r) => r.id)).toEqual([...members].sort());
    expect(again.rows.every((r) => r.attempts === 2)).toBe(true);
  });

  it("takes a dead worker's batch over whole after its lease, under the same key", () => {
    const members = [0, 1].map((i) => enqueue(db, of("announcement", `m${i}@example.org`), T0 - i));
    const claim = request(claimRequest(db, { now: T0, leaseMs: LEASE }));
    expect(claimRequest(db, { now: T0 + LEASE, leaseMs: LEASE })).toEqual({ kind: "idle" });
    const takeover = request(claimRequest(db, { now: T0 + LEASE + 1, leaseMs: LEASE }));
    expect(takeover).toMatchObject({ key: claim.key, fresh: false });
    expect(takeover.rows.map((r) => r.id)).toEqual([...members].sort());
  });

  it("releases the members of a request the provider surely did not take (429), and gives their attempt back", () => {
    const members = [0, 1].map((i) => enqueue(db, of("announcement", `m${i}@example.org`), T0 - i));
    const claim = request(claimRequest(db, { now: T0, leaseMs: LEASE }));
    recordRequest(db, claim, { kind: "retry", error: "Resend 429", nextAttemptAt: T0 + 1_000, certain: true }, { now: T0 + 5 });
    for (const id of members) expect(row(id)).toMatchObject({ state: "pending", batchId: null, attempts: 0 });
    // Back among the new messages: a message queued since may join them.
    const extra = enqueue(db, of("announcement", "extra@example.org"), T0 + 500);
    const again = request(claimRequest(db, { now: T0 + 1_000, leaseMs: LEASE }));
    expect(again.fresh).toBe(true);
    expect(again.rows.map((r) => r.id).sort()).toEqual([...members, extra].sort());
  });

  it("records each member's own outcome of an answered batch, and only for members still under its key", () => {
    const [a, b, c] = [0, 1, 2].map((i) => enqueue(db, of("announcement", `m${i}@example.org`), T0 - i));
    const claim = request(claimRequest(db, { now: T0, leaseMs: LEASE }));
    const counts = recordRequest(
      db,
      claim,
      {
        kind: "answered",
        members: new Map([
          [a!, { ok: true as const, id: "p-a" }],
          [b!, { ok: false as const, error: "Resend refused it in its batch: Invalid `to` field" }],
          [c!, { ok: true as const, id: "p-c" }],
        ]),
      },
      { now: T0 + 10 },
    );
    expect(counts).toEqual({ sent: 2, retried: 0, failed: 1 });
    expect(row(a!)).toMatchObject({ state: "sent", providerMessageId: "p-a", sentAt: new Date(T0 + 10) });
    expect(row(b!)).toMatchObject({ state: "failed", lastError: "Resend refused it in its batch: Invalid `to` field" });
    // Late news of the same request changes nothing.
    expect(recordRequest(db, claim, { kind: "failed", error: "late" }, { now: T0 + 20 })).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(row(c!).state).toBe("sent");
  });

  it("gives a new request a new key when a member drops out before it is made", () => {
    const [a, b, c] = [0, 1, 2].map((i) => enqueue(db, of("announcement", `m${i}@example.org`), T0 - i));
    const claim = request(claimRequest(db, { now: T0, leaseMs: LEASE }));
    markFailed(db, b!, "Cannot render");
    const key = rekey(db, claim.key, [a!, c!])!;
    expect(key).toBe(batchKey([a!, c!]));
    expect([row(a!).batchId, row(b!).batchId, row(c!).batchId]).toEqual([key, claim.key, key]);
    expect(rekey(db, key, [c!])).toBe(c);
  });

  it("drops a message worthless by now instead of sending it late", () => {
    const expired = enqueue(db, of("auth.sign_in", "s@example.org", { expiresAt: new Date(T0 + 900_000) }), T0);
    const valid = enqueue(db, of("auth.sign_in", "v@example.org", { expiresAt: new Date(T0 + 2_000_000) }), T0);
    const request1 = request(claimRequest(db, { now: T0 + 900_000, leaseMs: LEASE }));
    expect(request1.rows.map((r) => r.id)).toEqual([valid]);
    expect(row(expired)).toMatchObject({
      state: "expired",
      attempts: 0,
      lastError: "Dropped unsent: worthless after 2013-07-01T08:15:00Z (its link or code no longer works)",
    });
    // One that went alone and lost its answer is dropped too: dropping sends nothing twice.
    recordRequest(db, request1, { kind: "retry", error: "timeout", nextAttemptAt: T0 + 901_000, certain: false }, { now: T0 + 900_001 });
    expect(claimRequest(db, { now: T0 + 2_000_000, leaseMs: LEASE })).toEqual({ kind: "idle" });
    expect(row(valid).state).toBe("expired");
  });

  it("holds back the new messages of a paused group, and not the rest", () => {
    createGroup(db, { id: "g1", kind: "announcement", recipients: 2, createdBy: "o@example.org" }, T0);
    const held = enqueue(db, of("announcement", "g@example.org", { groupId: "g1" }), T0);
    db.update(mailGroups)
      .set({ pausedAt: new Date(T0) })
      .run();
    const other = enqueue(db, of("registration.cancelled", "o@example.org"), T0 + 1);
    expect(request(claimRequest(db, { now: T0 + 5, leaseMs: LEASE })).rows.map((r) => r.id)).toEqual([other]);
    expect(claimRequest(db, { now: T0 + 5, leaseMs: LEASE })).toEqual({ kind: "idle" });
    db.update(mailGroups).set({ pausedAt: null }).run();
    expect(request(claimRequest(db, { now: T0 + 5, leaseMs: LEASE })).rows.map((r) => r.id)).toEqual([held]);
  });

  it("claims nothing while the shared pace allows no request, and counts nothing itself", () => {
    for (let i = 0; i < 4; i++) enqueue(db, of("registration.cancelled", `m${i}@example.org`), T0);
    const pace = { limit: 2, windowMs: 1_000 };
    expect(claimRequest(db, { now: T0, leaseMs: LEASE, maxBatch: 1, pace }).kind).toBe("request");
    expect(loadPace(db).recent).toEqual([]);
    expect(acquirePace(db, T0, pace)).toEqual({ ok: true });
    expect(acquirePace(db, T0 + 10, pace)).toEqual({ ok: true });
    // While both are in flight it claims (their answers come in a moment), then once answered:
    expect(claimRequest(db, { now: T0 + 20, leaseMs: LEASE, maxBatch: 1, pace }).kind).toBe("request");
    savePace(db, observe(loadPace(db), {}, { sentAt: T0, receivedAt: T0 }));
    savePace(db, observe(loadPace(db), {}, { sentAt: T0 + 10, receivedAt: T0 + 10 }));
    // Until a moment before the window has room again: then it claims, to render while it waits.
    const room = T0 + 1_000 + PACE_MARGIN_MS;
    const soon = room - PACE_LOOKAHEAD_MS;
    expect(claimRequest(db, { now: T0 + 20, leaseMs: LEASE, maxBatch: 1, pace })).toEqual({ kind: "wait", until: soon });
    expect(claimRequest(db, { now: soon, leaseMs: LEASE, maxBatch: 1, pace }).kind).toBe("request");
    expect(acquirePace(db, soon, pace)).toEqual({ ok: false, until: room });
  });

  it("gives a claim back untouched when the pace had no room after all", () => {
    const [a, b] = [0, 1].map((i) => enqueue(db, of("announcement", `m${i}@example.org`), T0 - i));
    const claim = request(claimRequest(db, { now: T0, leaseMs: LEASE }));
    releaseClaim(db, claim);
    // Due as they were: in their place by priority for the next claim.
    expect(row(a!)).toMatchObject({ state: "pending", attempts: 0, batchId: null, nextAttemptAt: new Date(T0) });
    expect(row(b!)).toMatchObject({ state: "pending", attempts: 0, batchId: null, nextAttemptAt: new Date(T0 - 1) });
    // A request already made keeps its key.
    const again = request(claimRequest(db, { now: T0 + 500, leaseMs: LEASE }));
    recordRequest(db, again, { kind: "retry", error: "no answer", nextAttemptAt: T0 + 600, certain: false }, { now: T0 + 550 });
    const retry = request(claimRequest(db, { now: T0 + 600, leaseMs: LEASE }));
    releaseClaim(db, retry);
    expect(row(a!)).toMatchObject({ state: "pending", attempts: 1, batchId: again.key, lastError: "no answer" });
  });
});

describe("retryDelayBefore", () => {
  it("keeps a message that expires within a quarter of the validity it has left, and at least a second", () => {
    expect(retryDelayBefore(3_600_000, null, T0)).toBe(3_600_000);
    expect(retryDelayBefore(3_600_000, new Date(T0 + 800_000), T0)).toBe(200_000);
    expect(retryDelayBefore(10_000, new Date(T0 + 800_000), T0)).toBe(10_000);
    expect(retryDelayBefore(10_000, new Date(T0 + 100), T0)).toBe(1_000);
  });
});
