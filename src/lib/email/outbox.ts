import { randomUUID } from "node:crypto";
import { and, asc, eq, gte, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { outbox } from "../../../db/schema/outbox.ts";
import type { TemplateName } from "./templates.ts";

/**
 * The outbox: every e-mail is a row written in the same transaction as the change that causes it,
 * then delivered by the worker (worker.ts). A row is `pending` until due, `sending` while a worker
 * holds its lease, then `sent` or `failed`. A worker that dies mid-send leaves a `sending` row whose
 * lease expires; the next claim takes it over, and the provider's idempotency key (the row id)
 * keeps the second send from delivering twice.
 */

/** An outbox row. */
export type OutboxRow = typeof outbox.$inferSelect;

/** The database or a transaction inside it (`db.transaction((tx) => enqueue(tx, ...))`). */
export type DbLike = Pick<Db, "insert" | "select" | "update">;

/** A message to queue. */
export interface NewMessage {
  template: TemplateName;
  language: "en" | "fr";
  recipient: string;
  payload: Record<string, unknown>;
  registrationId?: number | null;
}

/** Attempts after which a message is given up as failed. */
export const MAX_ATTEMPTS = 20;

/** Default back-off: 30 s doubling up to 1 h; with MAX_ATTEMPTS a message survives 6.5 to 13 hours of provider outage. */
export const DEFAULT_RETRY = { baseMs: 30_000, maxMs: 60 * 60_000 } as const;

/**
 * A held message (decision e-mails of the call for papers, to be reviewed by an organizer before
 * they go) is a `pending` row due at this instant: the worker never finds it due until
 * `releaseHeld` makes it due now, and `cancelHeld` cancels it instead.
 */
export const HELD_UNTIL = new Date("9999-12-31T00:00:00.000Z");

/** Whether a row is held for an organizer's review. */
export function isHeld(row: Pick<OutboxRow, "state" | "nextAttemptAt">): boolean {
  return row.state === "pending" && row.nextAttemptAt.getTime() >= HELD_UNTIL.getTime();
}

/**
 * Queues a message, due now (or, with `held`, kept until an organizer releases it); synchronous, so
 * it joins the caller's transaction. Returns its id.
 */
export function enqueue(db: DbLike, msg: NewMessage, now: number = Date.now(), { held = false }: { held?: boolean } = {}): string {
  const id = randomUUID();
  db.insert(outbox)
    .values({
      id,
      template: msg.template,
      language: msg.language,
      recipient: msg.recipient,
      payload: msg.payload,
      state: "pending",
      attempts: 0,
      nextAttemptAt: held ? HELD_UNTIL : new Date(now),
      registrationId: msg.registrationId ?? null,
      createdAt: new Date(now),
    })
    .run();
  return id;
}

/**
 * Takes the oldest due message for this worker: `pending` and due, or `sending` with an expired
 * lease. Marks it `sending` until `now + leaseMs` and counts the attempt. The immediate transaction
 * holds SQLite's write lock from the first read, so two workers never claim the same row. A message
 * whose lease expired at its last allowed attempt (it keeps killing its worker) is failed instead.
 */
export function claimNext(
  db: Db,
  { now = Date.now(), leaseMs, maxAttempts = MAX_ATTEMPTS }: { now?: number; leaseMs: number; maxAttempts?: number },
): OutboxRow | undefined {
  return db.transaction(
    (tx) => {
      for (;;) {
        const due = tx
          .select()
          .from(outbox)
          .where(
            or(
              and(eq(outbox.state, "pending"), lte(outbox.nextAttemptAt, new Date(now))),
              and(eq(outbox.state, "sending"), lt(outbox.leaseUntil, new Date(now))),
            ),
          )
          .orderBy(asc(outbox.nextAttemptAt), asc(outbox.createdAt))
          .limit(1)
          .get();
        if (!due) return undefined;
        if (due.state === "sending" && due.attempts >= maxAttempts) {
          tx.update(outbox)
            .set({
              state: "failed",
              leaseUntil: null,
              lastError: `Abandoned after ${due.attempts} attempts: the worker stopped while sending`,
            })
            .where(eq(outbox.id, due.id))
            .run();
          continue;
        }
        return tx
          .update(outbox)
          .set({ state: "sending", leaseUntil: new Date(now + leaseMs), attempts: sql`${outbox.attempts} + 1` })
          .where(eq(outbox.id, due.id))
          .returning()
          .get();
      }
    },
    { behavior: "immediate" },
  );
}

/** Records a delivery. Wins over any other state: the provider has the message. */
export function markSent(db: DbLike, id: string, providerMessageId: string, now: number = Date.now()): void {
  db.update(outbox)
    .set({ state: "sent", providerMessageId, sentAt: new Date(now), leaseUntil: null })
    .where(eq(outbox.id, id))
    .run();
}

/**
 * Puts a message back in the queue until `nextAttemptAt`. `countAttempt: false` gives back the attempt
 * (a rate limit is no fault of the message). Only a message still `sending` is touched, so a slow
 * worker cannot undo what another did after taking the message over. Returns whether it did.
 */
export function scheduleRetry(
  db: DbLike,
  id: string,
  error: string,
  nextAttemptAt: number,
  { countAttempt = true }: { countAttempt?: boolean } = {},
): boolean {
  const result = db
    .update(outbox)
    .set({
      state: "pending",
      lastError: error,
      nextAttemptAt: new Date(nextAttemptAt),
      leaseUntil: null,
      ...(countAttempt ? {} : { attempts: sql`max(${outbox.attempts} - 1, 0)` }),
    })
    .where(and(eq(outbox.id, id), eq(outbox.state, "sending")))
    .run();
  return result.changes > 0;
}

/** Gives a message up with its reason (only while `sending`, see scheduleRetry). Returns whether it did. */
export function markFailed(db: DbLike, id: string, error: string): boolean {
  const result = db
    .update(outbox)
    .set({ state: "failed", lastError: error, leaseUntil: null })
    .where(and(eq(outbox.id, id), eq(outbox.state, "sending")))
    .run();
  return result.changes > 0;
}

/**
 * Queues a failed message again, due at `now`, with a fresh count of attempts (the organizers'
 * "retry" on a failure). Keeps its id, hence its idempotency key. Returns whether it was failed.
 */
export function requeueFailed(db: DbLike, id: string, now: number = Date.now()): boolean {
  const result = db
    .update(outbox)
    .set({ state: "pending", attempts: 0, nextAttemptAt: new Date(now) })
    .where(and(eq(outbox.id, id), eq(outbox.state, "failed")))
    .run();
  return result.changes > 0;
}

/** Makes a held message due at `now`. Returns whether it was held. */
export function releaseHeld(db: DbLike, id: string, now: number = Date.now()): boolean {
  const result = db
    .update(outbox)
    .set({ nextAttemptAt: new Date(now) })
    .where(and(eq(outbox.id, id), eq(outbox.state, "pending"), gte(outbox.nextAttemptAt, HELD_UNTIL)))
    .run();
  return result.changes > 0;
}

/**
 * Gives a held message up unsent: `cancelled` (not `failed`, which a retry would send), with
 * `reason`. Returns whether it was held.
 */
export function cancelHeld(db: DbLike, id: string, reason: string, now: number = Date.now()): boolean {
  const result = db
    .update(outbox)
    .set({ state: "cancelled", lastError: reason, nextAttemptAt: new Date(now) })
    .where(and(eq(outbox.id, id), eq(outbox.state, "pending"), gte(outbox.nextAttemptAt, HELD_UNTIL)))
    .run();
  return result.changes > 0;
}

/**
 * Delay before the next try after `attempt` failed tries: `baseMs` doubling each time up to `maxMs`,
 * of which a random half is taken off ("equal jitter") so that messages failed together do not all
 * come back together.
 */
export function retryDelay(
  attempt: number,
  { baseMs, maxMs }: { baseMs: number; maxMs: number } = DEFAULT_RETRY,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

// The worker of this process, for nudgeWorker(): in a module of its own, which the server's HTTP
// workers load without the database code.
export { nudgeWorker, registerWorker } from "./nudge.ts";
