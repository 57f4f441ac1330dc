import { createHash, randomUUID } from "node:crypto";
import { and, asc, eq, gte, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db, DbLike } from "../../../db/client.ts";
import { mailGroups, outbox } from "../../../db/schema/outbox.ts";
import { loadPace, observe, paceAllows, savePace, type PaceSettings, type RateInfo } from "./pace.ts";
import type { TemplateName } from "./payloads.ts";

/**
 * The outbox: every e-mail is a row written in the same transaction as the change that causes it,
 * then delivered by the worker (worker.ts). A row is `pending` until due, `sending` while a worker
 * holds its lease, then `sent` or `failed` (or `expired`: worth nothing by the time it could go, or
 * `cancelled` by an organizer). One request to the provider carries one message with attachments,
 * or up to a batch of messages without; its idempotency key is recorded on its members (`batch_id`)
 * in the transaction that claims them, before the request is made. A worker that dies mid-request
 * leaves `sending` rows whose lease expires; the next claim takes the same members over under the
 * same key, and the provider, which keeps its answer under that key, delivers nothing twice.
 */

/** An outbox row. */
export type OutboxRow = typeof outbox.$inferSelect;

export type { DbLike } from "../../../db/client.ts";

/** A message to queue. */
export interface NewMessage {
  template: TemplateName;
  language: "en" | "fr";
  recipient: string;
  payload: Record<string, unknown>;
  registrationId?: number | null;
  /** When the message becomes worthless (its link or code stops working): unsent by then, it is dropped as `expired`. */
  expiresAt?: Date | null;
  /** The group message it belongs to (groups.ts). */
  groupId?: string | null;
}

/** Attempts after which a message is given up as failed. */
export const MAX_ATTEMPTS = 20;

/** Default back-off: 30 s doubling up to 1 h; with MAX_ATTEMPTS a message survives 6.5 to 13 hours of provider outage. */
export const DEFAULT_RETRY = { baseMs: 30_000, maxMs: 60 * 60_000 } as const;

/** Most messages in one request (Resend's batch limit). */
export const MAX_BATCH = 100;

/**
 * Priorities, lower first: a sign-in link and code, or a private link asked for again (someone is
 * waiting at the page for it), then every other state change (address confirmations, decisions...),
 * then the organizers' group messages and the notices of a schedule release, which may be
 * thousands at once.
 */
export const PRIORITY = { signIn: 0, stateChange: 1, group: 2 } as const;

/** The priority of a template's messages. */
export function priorityOf(template: string): number {
  if (template === "auth.sign_in" || template === "registration.manage_link") return PRIORITY.signIn;
  if (template === "announcement" || template === "programme.release") return PRIORITY.group;
  return PRIORITY.stateChange;
}

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
  insertStatement(db).run({
    id,
    template: msg.template,
    language: msg.language,
    recipient: msg.recipient,
    payload: JSON.stringify(msg.payload ?? null),
    priority: priorityOf(msg.template),
    nextAttemptAt: held ? HELD_UNTIL : new Date(now),
    expiresAt: msg.expiresAt ? msg.expiresAt.getTime() : null,
    groupId: msg.groupId ?? null,
    registrationId: msg.registrationId ?? null,
    createdAt: new Date(now),
  });
  return id;
}

/**
 * The insert of `enqueue`, built and prepared once per SQLite connection (a registration burst
 * queues thousands: Drizzle would build the SQL and SQLite prepare it at each one). `db` may be a
 * transaction: its statement is the connection's, so it runs inside that transaction.
 */
const insertStatements = new WeakMap<object, ReturnType<typeof prepareInsert>>();

function insertStatement(db: DbLike) {
  const client = (db as unknown as { session?: { client?: object } }).session?.client;
  if (!client) return prepareInsert(db);
  let statement = insertStatements.get(client);
  if (!statement) insertStatements.set(client, (statement = prepareInsert(db)));
  return statement;
}

function prepareInsert(db: DbLike) {
  const p = sql.placeholder;
  return db
    .insert(outbox)
    .values({
      id: p("id"),
      template: p("template"),
      language: p("language"),
      recipient: p("recipient"),
      // Bound as what the columns hold (JSON text, milliseconds or null): through a placeholder the
      // column's own encoding would meet a null it cannot read.
      payload: sql`${p("payload")}`,
      state: "pending",
      priority: p("priority"),
      attempts: 0,
      nextAttemptAt: p("nextAttemptAt"),
      expiresAt: sql`${p("expiresAt")}`,
      groupId: p("groupId"),
      registrationId: p("registrationId"),
      createdAt: p("createdAt"),
    })
    .prepare();
}

/** The idempotency key of a batch: derived from its members' ids (in any order), so the same members always get the same key. */
export function batchKey(ids: readonly string[]): string {
  return `batch-${createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("base64url")}`;
}

/** What a claim found: a request to make, nothing due, or a pace that says to wait. */
export type Claim =
  | {
      kind: "request";
      /** The request's idempotency key: the message's id when it goes alone, else batchKey of the members. */
      key: string;
      /** Its members, ordered by id (the order of the batch, the same at every attempt). */
      rows: OutboxRow[];
      /** Whether the key was given now: no request was ever made for these members together. */
      fresh: boolean;
      /** When the claim was made. */
      at: number;
    }
  | { kind: "idle" }
  | { kind: "wait"; until: number };

export interface ClaimOptions {
  now?: number;
  leaseMs: number;
  maxAttempts?: number;
  /** Most messages in one request (1: never batch). */
  maxBatch?: number;
  /** Whether a message must go alone (it has attachments, which the batch API does not take). */
  alone?: (row: OutboxRow) => boolean;
  /** The provider's pace: nothing is claimed while it allows no request. Absent: not paced (the mailbox). */
  pace?: PaceSettings;
  /** How long before the pace has room messages may be claimed (to render them meanwhile). */
  paceLookaheadMs?: number;
}

/** Default lookahead: longer than rendering a batch takes, short beside the window. */
export const PACE_LOOKAHEAD_MS = 200;

/** How many rows a claim looks at to fill a batch past the messages that must go alone. */
const CANDIDATES = 3;

/**
 * Claims the messages of the next request, in one IMMEDIATE transaction (SQLite's write lock from
 * the first read, so two workers never claim the same row):
 *
 * - drops as `expired` every unsent message past its validity that no request may already have carried;
 * - takes the first due row by priority (then due time, then age), skipping the new messages of a
 *   paused group: `pending` and due, or `sending` with an expired lease (its worker died);
 * - a row already given a key (an earlier request whose answer was lost, or a dead worker's) comes
 *   back with exactly the members of that key; a new row that must go alone goes alone; otherwise
 *   up to `maxBatch` new rows that may share a request, in priority order, get a new key;
 * - with `pace`, claims nothing while the shared pace allows no request for longer than a moment
 *   (`paceLookaheadMs`), and says until when to wait;
 * - marks the members `sending` until `now + leaseMs` and counts the attempt.
 *
 * A key whose lease expired at its last allowed attempt (it keeps killing its worker) fails its members instead.
 */
export function claimRequest(db: Db, options: ClaimOptions): Claim {
  const { now = Date.now(), leaseMs, maxAttempts = MAX_ATTEMPTS, maxBatch = MAX_BATCH, alone = () => false, pace } = options;
  const paceLookaheadMs = options.paceLookaheadMs ?? PACE_LOOKAHEAD_MS;
  const at = new Date(now);
  return db.transaction(
    (tx): Claim => {
      expireWorthless(tx, now);
      for (;;) {
        const candidates = tx
          .select({ row: outbox })
          .from(outbox)
          .leftJoin(mailGroups, eq(mailGroups.id, outbox.groupId))
          .where(
            and(
              or(
                and(eq(outbox.state, "pending"), lte(outbox.nextAttemptAt, at)),
                and(eq(outbox.state, "sending"), lt(outbox.leaseUntil, at)),
              ),
              // A paused group holds back what no request carried yet; a request already made is finished.
              or(sql`${outbox.batchId} is not null`, isNull(mailGroups.pausedAt)),
            ),
          )
          .orderBy(asc(outbox.priority), asc(outbox.nextAttemptAt), asc(outbox.createdAt), asc(sql`${outbox}.rowid`))
          .limit(Math.max(1, maxBatch) * CANDIDATES)
          .all()
          .map((r) => r.row);
        const first = candidates[0];
        if (!first) return { kind: "idle" };

        let key: string;
        let members: OutboxRow[];
        let fresh = false;
        if (first.batchId !== null) {
          key = first.batchId;
          members =
            key === first.id
              ? [first]
              : tx
                  .select()
                  .from(outbox)
                  .where(and(eq(outbox.batchId, key), inArray(outbox.state, ["pending", "sending"])))
                  .all();
        } else {
          fresh = true;
          members =
            maxBatch <= 1 || alone(first) ? [first] : candidates.filter((row) => row.batchId === null && !alone(row)).slice(0, maxBatch);
          key = members.length === 1 ? first.id : batchKey(members.map((m) => m.id));
        }
        const ids = members.map((m) => m.id);

        if (first.state === "sending" && Math.max(...members.map((m) => m.attempts)) >= maxAttempts) {
          tx.update(outbox)
            .set({
              state: "failed",
              leaseUntil: null,
              lastError: `Abandoned after ${first.attempts} attempts: the worker stopped while sending`,
            })
            .where(inArray(outbox.id, ids))
            .run();
          continue;
        }

        // The request itself is counted just before it leaves (acquirePace, after rendering), so
        // that the time counted is the time it reaches the provider. Messages are claimed a moment
        // before the pace has room, so that they are rendered and the request leaves on time.
        if (pace) {
          const allowed = paceAllows(tx, now, pace);
          if (!allowed.ok && allowed.until - now > paceLookaheadMs) return { kind: "wait", until: allowed.until - paceLookaheadMs };
        }
        const rows = tx
          .update(outbox)
          .set({ state: "sending", leaseUntil: new Date(now + leaseMs), attempts: sql`${outbox.attempts} + 1`, batchId: key })
          .where(inArray(outbox.id, ids))
          .returning()
          .all()
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        return { kind: "request", key, rows, fresh, at: now };
      }
    },
    { behavior: "immediate" },
  );
}

/**
 * Drops unsent messages past their validity as `expired`: those no request carried yet, and those
 * that went alone (dropping one whose answer was lost sends nothing twice). A batch whose answer was
 * lost is tried again whole, under its key: the provider may hold it, and a retry with other members
 * would be another request.
 */
function expireWorthless(tx: DbLike, now: number): void {
  const at = new Date(now);
  tx.update(outbox)
    .set({
      state: "expired",
      leaseUntil: null,
      lastError: sql`'Dropped unsent: worthless after ' || strftime('%Y-%m-%dT%H:%M:%SZ', ${outbox.expiresAt} / 1000, 'unixepoch') || ' (its link or code no longer works)'`,
    })
    .where(
      and(
        lte(outbox.expiresAt, at),
        or(isNull(outbox.batchId), eq(outbox.batchId, outbox.id)),
        or(
          and(eq(outbox.state, "pending"), lt(outbox.nextAttemptAt, HELD_UNTIL)),
          and(eq(outbox.state, "sending"), lt(outbox.leaseUntil, at)),
        ),
      ),
    )
    .run();
}

/** Takes one due message alone (claimRequest without batches or pace); for tests and tools. */
export function claimNext(
  db: Db,
  { now = Date.now(), leaseMs, maxAttempts = MAX_ATTEMPTS }: { now?: number; leaseMs: number; maxAttempts?: number },
): OutboxRow | undefined {
  const claim = claimRequest(db, { now, leaseMs, maxAttempts, maxBatch: 1 });
  return claim.kind === "request" ? claim.rows[0] : undefined;
}

/**
 * Gives a new request (`fresh`) a new key for the members it keeps (some could not render): the
 * provider never saw the old key. Returns the new key, or undefined when no member is left.
 */
export function rekey(db: Db, oldKey: string, keep: readonly string[]): string | undefined {
  if (keep.length === 0) return undefined;
  const key = keep.length === 1 ? keep[0]! : batchKey(keep);
  db.update(outbox)
    .set({ batchId: key })
    .where(and(inArray(outbox.id, [...keep]), eq(outbox.batchId, oldKey), eq(outbox.state, "sending")))
    .run();
  return key;
}

/**
 * Gives a claim back untouched (the pace had no room for it after all): nothing was sent, so the
 * attempt is given back, and new members leave their key while a request already made keeps its
 * own. They stay due as they were, in their place by priority: the next claim, by any worker, takes
 * them first again (a sign-in code given back does not wait behind a group message).
 */
export function releaseClaim(db: Db, claim: { key: string; fresh: boolean }): void {
  db.update(outbox)
    .set({
      state: "pending",
      leaseUntil: null,
      attempts: sql`max(${outbox.attempts} - 1, 0)`,
      ...(claim.fresh ? { batchId: null } : {}),
    })
    .where(and(eq(outbox.batchId, claim.key), eq(outbox.state, "sending")))
    .run();
}

/** What one request came to. */
export type RequestOutcome =
  /** The provider answered for each member: its message id, or its own refusal (final). */
  | { kind: "answered"; members: Map<string, { ok: true; id: string | null } | { ok: false; error: string }> }
  /**
   * Try again at `nextAttemptAt`. `certain`: the provider surely took nothing (a 429, a refused
   * account), so the members are released from their key and the attempt is given back.
   * Otherwise (no answer, 5xx) the same members come back under the same key.
   */
  | { kind: "retry"; error: string; nextAttemptAt: number; certain: boolean }
  /** Every member refused for good with `error`. */
  | { kind: "failed"; error: string };

/**
 * Records the outcome of a request made at `at` for its members still `sending` under `key` (a slow worker cannot undo
 * what another did after taking them over), and (with `pace`) what the answer said of the pace, in one IMMEDIATE
 * transaction. Returns how many members were sent, retried and failed.
 */
export function recordRequest(
  db: Db,
  request: { key: string; at: number },
  outcome: RequestOutcome,
  { now = Date.now(), rate, pace }: { now?: number; rate?: RateInfo; pace?: PaceSettings } = {},
): { sent: number; retried: number; failed: number } {
  return db.transaction(
    (tx) => {
      if (pace) {
        const answered = rate !== undefined;
        const timing = { sentAt: request.at, receivedAt: now, answered, windowMs: pace.windowMs, marginMs: pace.marginMs };
        savePace(tx, observe(loadPace(tx), rate ?? {}, timing));
      }
      const mine = and(eq(outbox.batchId, request.key), eq(outbox.state, "sending"));
      const counts = { sent: 0, retried: 0, failed: 0 };
      if (outcome.kind === "answered") {
        for (const [id, result] of outcome.members) {
          const where = and(eq(outbox.id, id), mine);
          const changed = result.ok
            ? tx
                .update(outbox)
                .set({ state: "sent", providerMessageId: result.id, sentAt: new Date(now), leaseUntil: null, lastError: null })
                .where(where)
                .run().changes
            : tx.update(outbox).set({ state: "failed", lastError: result.error, leaseUntil: null }).where(where).run().changes;
          if (result.ok) counts.sent += changed;
          else counts.failed += changed;
        }
      } else if (outcome.kind === "retry") {
        counts.retried = tx
          .update(outbox)
          .set({
            state: "pending",
            lastError: outcome.error,
            nextAttemptAt: new Date(outcome.nextAttemptAt),
            leaseUntil: null,
            ...(outcome.certain ? { batchId: null, attempts: sql`max(${outbox.attempts} - 1, 0)` } : {}),
          })
          .where(mine)
          .run().changes;
      } else {
        counts.failed = tx.update(outbox).set({ state: "failed", lastError: outcome.error, leaseUntil: null }).where(mine).run().changes;
      }
      return counts;
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
 * "retry" on a failure). A message that went alone keeps its key (its id); one of a batch leaves
 * it, to go in a new request (the provider refused it, or its key is long gone after the attempts
 * it took). Returns whether it was failed.
 */
export function requeueFailed(db: DbLike, id: string, now: number = Date.now()): boolean {
  const result = db
    .update(outbox)
    .set({
      state: "pending",
      attempts: 0,
      nextAttemptAt: new Date(now),
      batchId: sql`case when ${outbox.batchId} = ${outbox.id} then ${outbox.batchId} else null end`,
    })
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

/**
 * The back-off of a message that expires: never past a quarter of the validity it has left (and
 * at least a second), so that a sign-in code or an address confirmation is tried several times
 * while it is still worth something, instead of waiting out a long back-off past its expiry.
 */
export function retryDelayBefore(delay: number, expiresAt: Date | null | undefined, now: number): number {
  if (!expiresAt) return delay;
  return Math.min(delay, Math.max(1_000, Math.floor((expiresAt.getTime() - now) / 4)));
}

// The worker of this process, for nudgeWorker(): in a module of its own, which the server's HTTP
// workers load without the database code.
export { nudgeWorker, registerWorker } from "./nudge.ts";
