import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { outbox } from "../../../db/schema/outbox.ts";
import { batchKey, enqueue, MAX_ATTEMPTS, nudgeWorker, type OutboxRow } from "./outbox.ts";
import { readMailbox } from "./mailbox.ts";
import { acquirePace, loadPace, observe, PACE_MARGIN_MS, savePace } from "./pace.ts";
import type { RenderedEmail } from "./templates.ts";
import { mailboxTransport, type BatchResult, type OutgoingEmail, type SendResult, type Transport } from "./transport.ts";
import { deliverDue, deliverPass, startWorker, type DeliverOptions } from "./worker.ts";

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

type Call = { batch: boolean; emails: OutgoingEmail[]; key: string };

/**
 * A transport that answers from a script and records what it was given. `answer` gets the call;
 * a batch's answer is given for all its members (`{ ok: true, id }` becomes one id per member).
 */
function scripted(
  answer: (call: Call, n: number) => SendResult | BatchResult | Promise<SendResult | BatchResult>,
  { paced = false }: { paced?: boolean } = {},
) {
  const calls: Call[] = [];
  const reply = async (call: Call) => {
    calls.push(call);
    const result = await answer(call, calls.length);
    if (call.batch && result.ok && "id" in result)
      return { ok: true as const, results: call.emails.map((e) => ({ ok: true as const, id: `${result.id}-${e.to}` })), rate: result.rate };
    return result;
  };
  const transport: Transport = {
    name: "scripted",
    paced,
    async send(email, { idempotencyKey }) {
      return (await reply({ batch: false, emails: [email], key: idempotencyKey })) as SendResult;
    },
    async sendBatch(emails, { idempotencyKey }) {
      return (await reply({ batch: true, emails, key: idempotencyKey })) as BatchResult;
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
    alone: (row) => row.template === "registration.confirmed",
    from: "Forum <no-reply@forum.example>",
    replyTo: "contact@forum.example",
    now: () => clock.now,
    retry: { baseMs: 1_000, maxMs: 8_000 },
    log: () => {},
    ...extra,
  };
}

describe("deliverPass", () => {
  it("sends the due messages in one batch under a key of its members, and records each provider id", async () => {
    const a = queue("a@example.org");
    const b = queue("b@example.org");
    const { transport, calls } = scripted(() => ({ ok: true, id: "p" }));
    expect(await deliverPass(db, options(transport, { now: T0 }))).toEqual({ claimed: 2, requests: 1, sent: 2, retried: 0, failed: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ batch: true, key: batchKey([a, b]) });
    expect(calls[0]!.emails.map((e) => e.to).sort()).toEqual(["a@example.org", "b@example.org"]);
    expect(calls[0]!.emails.find((e) => e.to === "a@example.org")).toEqual({
      subject: "Hello a@example.org",
      text: "text",
      html: "<p>html</p>",
      attachments: [],
      to: "a@example.org",
      from: "Forum <no-reply@forum.example>",
      replyTo: "contact@forum.example",
      template: "registration.cancelled",
      messageId: a,
    });
    expect(row(a)).toMatchObject({
      state: "sent",
      providerMessageId: "p-a@example.org",
      attempts: 1,
      sentAt: new Date(T0),
      batchId: batchKey([a, b]),
    });
    expect(row(b)).toMatchObject({ state: "sent", providerMessageId: "p-b@example.org" });
    expect(await deliverDue(db, options(transport, { now: T0 + 100_000 }))).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it("sends one message alone under its own id, and one with attachments alone beside a batch", async () => {
    const ticket = enqueue(
      db,
      { template: "registration.confirmed", language: "en", recipient: "t@example.org", payload: { name: "T" } },
      T0,
    );
    const a = queue("a@example.org", T0 + 1);
    const b = queue("b@example.org", T0 + 2);
    const { transport, calls } = scripted(() => ({ ok: true, id: "p" }));
    await deliverPass(db, options(transport, { now: T0 + 5 }));
    expect(calls.map((c) => [c.batch, c.key])).toEqual([
      [false, ticket],
      [true, batchKey([a, b])],
    ]);
    const c = queue("c@example.org", T0 + 10);
    await deliverPass(db, options(transport, { now: T0 + 20 }));
    expect(calls[2]).toMatchObject({ batch: false, key: c });
  });

  it("records a partly refused batch member by member", async () => {
    const [a, b, c] = ["a", "b", "c"].map((n, i) => queue(`${n}@example.org`, T0 + i));
    const { transport } = scripted((call) => ({
      ok: true,
      results: call.emails.map((e) =>
        e.to === "b@example.org"
          ? { ok: false as const, error: "Resend refused it in its batch: Invalid `to`" }
          : { ok: true as const, id: `p-${e.to}` },
      ),
    }));
    expect(await deliverPass(db, options(transport, { now: T0 + 5 }))).toMatchObject({ sent: 2, failed: 1 });
    expect(row(a!)).toMatchObject({ state: "sent", providerMessageId: "p-a@example.org" });
    expect(row(b!)).toMatchObject({ state: "failed", lastError: "Resend refused it in its batch: Invalid `to`", attempts: 1 });
    expect(row(c!)).toMatchObject({ state: "sent", providerMessageId: "p-c@example.org" });
  });

  it("retries a lost answer with back-off under the same key and members, and a thrown error too", async () => {
    const a = queue("a@example.org");
    const b = queue("b@example.org");
    const clock = { now: T0 };
    const { transport, calls } = scripted((_, n) => {
      if (n === 1) return { ok: false, retryable: true, error: "Resend 503 internal_server_error: down" };
      if (n === 2) throw new Error("socket hang up");
      return { ok: true, id: "p" };
    });
    expect(await deliverPass(db, options(transport, clock))).toEqual({ claimed: 2, requests: 1, sent: 0, retried: 2, failed: 0 });
    const first = row(a);
    expect(first).toMatchObject({ state: "pending", attempts: 1, lastError: "Resend 503 internal_server_error: down" });
    expect(row(b).nextAttemptAt).toEqual(first.nextAttemptAt);
    expect(first.nextAttemptAt.getTime() - T0).toBeGreaterThanOrEqual(500);
    expect(first.nextAttemptAt.getTime() - T0).toBeLessThanOrEqual(1_000);

    clock.now = first.nextAttemptAt.getTime() - 1;
    expect(await deliverDue(db, options(transport, clock))).toBe(0);
    clock.now = first.nextAttemptAt.getTime();
    await deliverDue(db, options(transport, clock));
    expect(row(a)).toMatchObject({ state: "pending", attempts: 2, lastError: "scripted: socket hang up" });
    clock.now = row(a).nextAttemptAt.getTime();
    expect(await deliverDue(db, options(transport, clock))).toBe(2);
    expect(calls.map((c) => c.key)).toEqual([batchKey([a, b]), batchKey([a, b]), batchKey([a, b])]);
    expect(calls.every((c) => c.emails.map((e) => e.messageId).join() === [a, b].sort().join())).toBe(true);
  });

  it("fails a refused request's members with the provider's reason and never tries them again", async () => {
    const id = queue("nobody@invalid");
    const { transport, calls } = scripted(() => ({
      ok: false,
      retryable: false,
      error: "Resend 422 validation_error: Invalid `to` field",
    }));
    expect(await deliverPass(db, options(transport, { now: T0 }))).toEqual({ claimed: 1, requests: 1, sent: 0, retried: 0, failed: 1 });
    expect(row(id)).toMatchObject({ state: "failed", attempts: 1, lastError: "Resend 422 validation_error: Invalid `to` field" });
    await deliverDue(db, options(transport, { now: T0 + 86_400_000 }));
    expect(calls).toHaveLength(1);
  });

  it("fails a message that cannot render without sending it, and sends the others under their own new key", async () => {
    const [a, broken, c] = ["a", "broken", "c"].map((n, i) => queue(`${n}@example.org`, T0 + i));
    const { transport, calls } = scripted(() => ({ ok: true, id: "p" }));
    const failing = async (message: OutboxRow) => {
      if (message.recipient.startsWith("broken")) throw new Error('Unknown e-mail template "x"');
      return render(message);
    };
    expect(await deliverPass(db, options(transport, { now: T0 + 5 }, { render: failing }))).toMatchObject({ sent: 2, failed: 1 });
    expect(row(broken!)).toMatchObject({ state: "failed", lastError: 'Cannot render: Unknown e-mail template "x"' });
    expect(calls.map((call) => call.key)).toEqual([batchKey([a!, c!])]);
    expect(row(a!).batchId).toBe(batchKey([a!, c!]));
  });

  it("on a rate limit, gives the attempt back, frees the members from their key, waits as told and stops the pass", async () => {
    const a = queue("a@example.org", T0);
    const b = queue("b@example.org", T0 + 1);
    const { transport, calls } = scripted(() => ({
      ok: false,
      retryable: true,
      certain: true,
      retryAfterMs: 2_000,
      error: "Resend 429 rate_limit_exceeded: slow down",
    }));
    const report = await deliverPass(db, options(transport, { now: T0 + 10 }));
    expect(report).toEqual({ claimed: 2, requests: 1, sent: 0, retried: 2, failed: 0, pausedUntil: T0 + 2_010 });
    expect(calls).toHaveLength(1);
    for (const id of [a, b]) {
      expect(row(id)).toMatchObject({
        state: "pending",
        attempts: 0,
        batchId: null,
        nextAttemptAt: new Date(T0 + 2_010),
        lastError: "Resend 429 rate_limit_exceeded: slow down",
      });
    }
  });

  it("retries a sign-in message well within its validity instead of after a long back-off", async () => {
    const id = enqueue(
      db,
      { template: "auth.sign_in", language: "en", recipient: "s@example.org", payload: { name: "s" }, expiresAt: new Date(T0 + 900_000) },
      T0,
    );
    const { transport } = scripted(() => ({ ok: false, retryable: true, error: "Resend 500 internal_server_error: down" }));
    // A long back-off (up to an hour) would hold it past its 15 minutes.
    await deliverPass(db, options(transport, { now: T0 }, { retry: { baseMs: 3_600_000, maxMs: 3_600_000 } }));
    expect(row(id).nextAttemptAt.getTime() - T0).toBe(225_000);
    // Expired before its next attempt: dropped, never sent late.
    await deliverPass(db, options(scripted(() => ({ ok: true, id: "late" })).transport, { now: T0 + 900_000 }));
    expect(row(id)).toMatchObject({ state: "expired", providerMessageId: null });
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

  it("with a paced transport, waits for the provider's window between requests, shared with other workers", async () => {
    for (let i = 0; i < 5; i++)
      enqueue(db, { template: "registration.confirmed", language: "en", recipient: `t${i}@example.org`, payload: { name: "T" } }, T0);
    const rate = { limit: 2, remaining: 1, resetMs: 1_000 };
    const { transport, calls } = scripted(() => ({ ok: true, id: "p", rate }), { paced: true });
    const clock = { now: T0 };
    const sent: number[] = [];
    const timed: Transport = { ...transport, send: (email, opts) => (sent.push(clock.now), transport.send(email, opts)) };
    const pace = { limit: 2, windowMs: 1_000 };
    // Another process on the same database has just made a request, answered at once.
    expect(acquirePace(db, T0, pace)).toEqual({ ok: true });
    savePace(db, observe(loadPace(db), {}, { sentAt: T0, receivedAt: T0 }));
    const first = await deliverPass(db, options(timed, clock, { pace, sleep: async (ms) => void (clock.now += ms) }));
    expect(first.pausedUntil).toBeDefined();
    // As the running worker does: sleep until the pace has room, deliver again.
    for (let pass = 0; pass < 10 && calls.length < 5; pass++) {
      const report = await deliverPass(db, options(timed, clock, { pace, sleep: async (ms) => void (clock.now += ms) }));
      if (report.pausedUntil) clock.now = Math.max(clock.now, report.pausedUntil);
    }
    expect(calls).toHaveLength(5);
    // Never more than 2 in any window of a second (and its margin).
    const span = 1_000 + PACE_MARGIN_MS;
    expect(sent.map((at) => at - T0)).toEqual([0, span, span, 2 * span, 2 * span]);
  });
});

describe("the local mailbox", () => {
  it("takes batches too and is never paced: a pass delivers everything due at once", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => queue(`m${i}@example.org`));
    const mailbox = join(dir, "mailbox");
    const started = Date.now();
    const report = await deliverPass(
      db,
      options(mailboxTransport({ dir: mailbox }), { now: T0 }, { pace: { limit: 1, windowMs: 60_000 } }),
    );
    expect(report).toEqual({ claimed: 250, requests: 3, sent: 250, retried: 0, failed: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await readMailbox(mailbox)).map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(loadPace(db).recent).toEqual([]);
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
