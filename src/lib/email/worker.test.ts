import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { outbox } from "../../../db/schema/outbox.ts";
import { enqueue, MAX_ATTEMPTS, nudgeWorker, type OutboxRow } from "./outbox.ts";
import type { RenderedEmail } from "./templates.ts";
import type { OutgoingEmail, SendResult, Transport } from "./transport.ts";
import { deliverBatch, deliverDue, startWorker, type DeliverOptions } from "./worker.ts";

const T0 = Date.UTC(2013, 6, 1, 8, 0, 0);

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-worker-"));
  db = openDatabase(join(dir, "forum.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (id: string) => db.select().from(outbox).where(eq(outbox.id, id)).get()!;
const queue = (recipient: string, now = T0) =>
  enqueue(db, { template: "registration.cancelled", language: "en", recipient, payload: { name: recipient } }, now);

/** A transport that answers from a script and records what it was given. */
function scripted(answer: (email: OutgoingEmail, call: number) => SendResult | Promise<SendResult>) {
  const calls: { email: OutgoingEmail; key: string }[] = [];
  const transport: Transport = {
    name: "scripted",
    async send(email, { idempotencyKey }) {
      calls.push({ email, key: idempotencyKey });
      return answer(email, calls.length);
    },
  };
  return { transport, calls };
}

const render = async (message: OutboxRow): Promise<RenderedEmail> => ({
  subject: `Hello ${(message.payload as { name: string }).name}`,
  text: "text",
  html: "<p>html</p>",
  attachments: [],
});

function options(transport: Transport, clock: { now: number }, extra: Partial<DeliverOptions> = {}): DeliverOptions {
  return {
    transport,
    render,
    from: "Forum <no-reply@forum.example>",
    now: () => clock.now,
    retry: { baseMs: 1_000, maxMs: 8_000 },
    log: () => {},
    ...extra,
  };
}

describe("deliverBatch", () => {
  it("sends every due message once, with its id as idempotency key, and records the provider's id", async () => {
    const a = queue("a@example.org");
    const b = queue("b@example.org");
    const { transport, calls } = scripted((email) => ({ ok: true, id: `p-${email.to}` }));
    expect(await deliverDue(db, options(transport, { now: T0 }))).toBe(2);
    expect(calls).toEqual([
      {
        key: a,
        email: {
          subject: "Hello a@example.org",
          text: "text",
          html: "<p>html</p>",
          attachments: [],
          to: "a@example.org",
          from: "Forum <no-reply@forum.example>",
          template: "registration.cancelled",
        },
      },
      expect.objectContaining({ key: b }),
    ]);
    expect(row(a)).toMatchObject({ state: "sent", providerMessageId: "p-a@example.org", attempts: 1, sentAt: new Date(T0) });
    expect(await deliverDue(db, options(transport, { now: T0 + 100_000 }))).toBe(0);
    expect(calls).toHaveLength(2);
  });

  it("retries a retryable failure later with back-off, and a thrown error too", async () => {
    const id = queue("a@example.org");
    const clock = { now: T0 };
    const { transport, calls } = scripted((_, call) => {
      if (call === 1) return { ok: false, retryable: true, error: "Resend 503 internal_server_error: down" };
      if (call === 2) throw new Error("socket hang up");
      return { ok: true, id: "p-1" };
    });
    const report = await deliverBatch(db, options(transport, clock, { retry: { baseMs: 1_000, maxMs: 8_000 } }));
    expect(report).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0 });
    const first = row(id);
    expect(first).toMatchObject({ state: "pending", attempts: 1, lastError: "Resend 503 internal_server_error: down" });
    // attempt 1: between half and all of the base
    expect(first.nextAttemptAt.getTime() - T0).toBeGreaterThanOrEqual(500);
    expect(first.nextAttemptAt.getTime() - T0).toBeLessThanOrEqual(1_000);

    clock.now = first.nextAttemptAt.getTime() - 1;
    expect(await deliverDue(db, options(transport, clock))).toBe(0);
    expect(calls).toHaveLength(1);

    clock.now = first.nextAttemptAt.getTime();
    await deliverDue(db, options(transport, clock));
    const second = row(id);
    expect(second).toMatchObject({ state: "pending", attempts: 2, lastError: "scripted: socket hang up" });
    expect(second.nextAttemptAt.getTime() - clock.now).toBeGreaterThanOrEqual(1_000);
    expect(second.nextAttemptAt.getTime() - clock.now).toBeLessThanOrEqual(2_000);

    clock.now = second.nextAttemptAt.getTime();
    expect(await deliverDue(db, options(transport, clock))).toBe(1);
    expect(row(id)).toMatchObject({ state: "sent", attempts: 3 });
    expect(new Set(calls.map((c) => c.key))).toEqual(new Set([id]));
  });

  it("fails a refused message with the provider's reason and never tries it again", async () => {
    const id = queue("nobody@invalid");
    const { transport, calls } = scripted(() => ({
      ok: false,
      retryable: false,
      error: "Resend 422 validation_error: Invalid `to` field",
    }));
    expect(await deliverBatch(db, options(transport, { now: T0 }))).toEqual({ claimed: 1, sent: 0, retried: 0, failed: 1 });
    expect(row(id)).toMatchObject({ state: "failed", attempts: 1, lastError: "Resend 422 validation_error: Invalid `to` field" });
    await deliverDue(db, options(transport, { now: T0 + 86_400_000 }));
    expect(calls).toHaveLength(1);
  });

  it("fails a message that cannot render without sending anything", async () => {
    const id = queue("a@example.org");
    const { transport, calls } = scripted(() => ({ ok: true, id: "p" }));
    const broken = async () => {
      throw new Error('Unknown e-mail template "x"');
    };
    expect(await deliverBatch(db, options(transport, { now: T0 }, { render: broken }))).toMatchObject({ failed: 1 });
    expect(row(id)).toMatchObject({ state: "failed", lastError: 'Cannot render: Unknown e-mail template "x"' });
    expect(calls).toHaveLength(0);
  });

  it("on a rate limit, gives the attempt back, waits as told and stops the pass", async () => {
    const a = queue("a@example.org", T0);
    const b = queue("b@example.org", T0 + 1);
    const { transport, calls } = scripted(() => ({
      ok: false,
      retryable: true,
      retryAfterMs: 2_000,
      error: "Resend 429 rate_limit_exceeded: slow down",
    }));
    const report = await deliverBatch(db, options(transport, { now: T0 + 10 }));
    expect(report).toEqual({ claimed: 1, sent: 0, retried: 1, failed: 0, pausedUntil: T0 + 2_010 });
    expect(calls.map((c) => c.key)).toEqual([a]);
    expect(row(a)).toMatchObject({
      state: "pending",
      attempts: 0,
      nextAttemptAt: new Date(T0 + 2_010),
      lastError: "Resend 429 rate_limit_exceeded: slow down",
    });
    expect(row(b)).toMatchObject({ state: "pending", attempts: 0 });
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts`, async () => {
    const id = queue("a@example.org");
    const clock = { now: T0 };
    const { transport, calls } = scripted(() => ({ ok: false, retryable: true, error: "Resend 500 internal_server_error: down" }));
    for (let pass = 0; pass < MAX_ATTEMPTS + 5; pass++) {
      await deliverDue(db, options(transport, clock));
      clock.now = Math.max(clock.now, row(id).nextAttemptAt.getTime());
    }
    expect(calls).toHaveLength(MAX_ATTEMPTS);
    expect(row(id)).toMatchObject({
      state: "failed",
      attempts: MAX_ATTEMPTS,
      lastError: `Resend 500 internal_server_error: down (gave up after ${MAX_ATTEMPTS} attempts)`,
    });
  });
});

describe("startWorker", () => {
  it("delivers at once when nudged, and on stop waits for the send in flight to be recorded", async () => {
    let release: () => void = () => {};
    const { transport, calls } = scripted(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { ok: true, id: "p-1" };
    });
    const worker = startWorker({ db, transport, render, from: "f@example.org", pollMs: 60_000, log: () => {} });
    // Its first pass found nothing; the next would be a minute away.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const id = queue("a@example.org", Date.now());
    nudgeWorker();
    for (let i = 0; i < 100 && calls.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toHaveLength(1);

    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(row(id)).toMatchObject({ state: "sent", providerMessageId: "p-1" });
  });

  it("logs a failing pass once while it repeats, keeps going, and stops when idle", async () => {
    const lines: string[] = [];
    let opens = 0;
    const { transport } = scripted(() => ({ ok: true, id: "p" }));
    const worker = startWorker({
      db: () => {
        if (++opens < 4) throw new Error("database is locked");
        return db;
      },
      transport,
      render,
      from: "f@example.org",
      pollMs: 5,
      log: (line) => lines.push(line),
    });
    const id = queue("a@example.org", Date.now());
    for (let i = 0; i < 200 && row(id).state !== "sent"; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await worker.stop();
    expect(row(id).state).toBe("sent");
    expect(lines).toEqual(["mail worker: database is locked"]);
  });
});
