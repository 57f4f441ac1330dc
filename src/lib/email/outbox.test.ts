import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { outbox } from "../../../db/schema/outbox.ts";
import {
  claimNext,
  DEFAULT_RETRY,
  enqueue,
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
      attempts: 0,
      nextAttemptAt: new Date(T0),
      leaseUntil: null,
      lastError: null,
      providerMessageId: null,
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
