import { createHash } from "node:crypto";
import { and, desc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { OUTBOX_STATES, outbox, type OutboxState } from "../../../db/schema/outbox.ts";
import { recordAudit } from "../audit.ts";
import { cancelHeld, HELD_UNTIL, releaseHeld, requeueFailed } from "./outbox.ts";

/** The organizers' view of the outbox: every message, its state and failures, and a retry of the failed ones. */

/** Messages per page of the outbox list. */
export const OUTBOX_PAGE_SIZE = 50;

/** Who acts (for the audit log). */
export interface Actor {
  id: number;
  email: string;
}

/** What the list filters and counts by: the stored states, and `held` (pending until an organizer sends it, see outbox.ts). */
export type OutboxListState = OutboxState | "held";
export const OUTBOX_LIST_STATES: readonly OutboxListState[] = ["held", ...OUTBOX_STATES];

export interface OutboxQuery {
  /** One state, or "" for all. */
  state: OutboxListState | "";
  /** Part of the recipient's address or of the template's name. */
  q: string;
  page: number;
}

/** What the list shows of a message: everything but its payload. */
export interface OutboxItem {
  id: string;
  template: string;
  language: "en" | "fr";
  recipient: string;
  state: OutboxState;
  /** Pending, but held until an organizer sends it. */
  held: boolean;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** Reads the list's query from URL search parameters, ignoring what is not valid. */
export function parseOutboxQuery(params: URLSearchParams): OutboxQuery {
  const state = params.get("state") ?? "";
  const page = Number(params.get("page") ?? 1);
  return {
    state: (OUTBOX_LIST_STATES as readonly string[]).includes(state) ? (state as OutboxListState) : "",
    q: (params.get("q") ?? "").trim().slice(0, 200),
    page: Number.isInteger(page) && page > 0 ? Math.min(page, 1_000_000) : 1,
  };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function searchOf(q: string): SQL | undefined {
  if (!q) return undefined;
  const pattern = `%${escapeLike(q.toLowerCase())}%`;
  return or(sql`lower(${outbox.recipient}) like ${pattern} escape '\\'`, sql`lower(${outbox.template}) like ${pattern} escape '\\'`);
}

/**
 * One page of messages, newest first, with the total of the query and the number of messages in
 * each state among those matching the search (for the state filter).
 */
export function listOutbox(
  db: Db,
  query: OutboxQuery,
  perPage: number = OUTBOX_PAGE_SIZE,
): { rows: OutboxItem[]; total: number; page: number; pages: number; counts: Record<OutboxListState, number> } {
  const search = searchOf(query.q);
  const heldNow = and(eq(outbox.state, "pending"), sql`${outbox.nextAttemptAt} >= ${HELD_UNTIL.getTime()}`);
  const byState =
    query.state === "held"
      ? heldNow
      : query.state === "pending"
        ? and(eq(outbox.state, "pending"), sql`${outbox.nextAttemptAt} < ${HELD_UNTIL.getTime()}`)
        : query.state
          ? eq(outbox.state, query.state)
          : undefined;
  const where = and(search, byState);
  const counts = Object.fromEntries(OUTBOX_LIST_STATES.map((state) => [state, 0])) as Record<OutboxListState, number>;
  for (const { state, held, n } of db
    .select({ state: outbox.state, held: sql<number>`${outbox.nextAttemptAt} >= ${HELD_UNTIL.getTime()}`, n: sql<number>`count(*)` })
    .from(outbox)
    .where(search)
    .groupBy(outbox.state, sql`2`)
    .all()) {
    counts[state === "pending" && held ? "held" : state] += n;
  }
  const total = query.state ? counts[query.state] : Object.values(counts).reduce((a, b) => a + b, 0);
  const pages = Math.max(1, Math.ceil(total / perPage));
  const page = Math.min(Math.max(1, query.page), pages);
  const rows = db
    .select({
      id: outbox.id,
      template: outbox.template,
      language: outbox.language,
      recipient: outbox.recipient,
      state: outbox.state,
      attempts: outbox.attempts,
      nextAttemptAt: outbox.nextAttemptAt,
      lastError: outbox.lastError,
      createdAt: outbox.createdAt,
      sentAt: outbox.sentAt,
    })
    .from(outbox)
    .where(where)
    .orderBy(desc(outbox.createdAt), desc(sql`rowid`))
    .limit(perPage)
    .offset((page - 1) * perPage)
    .all()
    .map((row) => ({ ...row, held: row.state === "pending" && row.nextAttemptAt.getTime() >= HELD_UNTIL.getTime() }));
  return { rows, total, page, pages, counts };
}

/** Why a retry was refused: `cancelled` was given up by an organizer before sending, and stays unsent. */
export type RetryRefusal = "not_found" | "not_failed" | "cancelled";

/**
 * Queues a failed message again (same id, hence the same idempotency key at the provider), with its
 * audit entry, in one transaction. Refused for a message that is not (or no longer) failed.
 */
export function retryMessage(
  db: Db,
  actor: Actor,
  id: string,
  now: number = Date.now(),
): { ok: true } | { ok: false; reason: RetryRefusal } {
  return db.transaction(
    (tx) => {
      const before = tx
        .select({ state: outbox.state, attempts: outbox.attempts, lastError: outbox.lastError })
        .from(outbox)
        .where(eq(outbox.id, id))
        .get();
      if (!before) return { ok: false, reason: "not_found" } as const;
      if (before.state === "cancelled") return { ok: false, reason: "cancelled" } as const;
      if (!requeueFailed(tx, id, now)) return { ok: false, reason: "not_failed" } as const;
      recordAudit(
        tx,
        { actor, action: "mail.retry", subjectType: "outbox", subjectId: id, before, after: { state: "pending", attempts: 0 } },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** One message of the outbox as the list shows it, with its payload (for rendering it as it goes out), or undefined. */
export function outboxMessage(db: Pick<Db, "select">, id: string): (OutboxItem & { payload: Record<string, unknown> }) | undefined {
  const row = db.select().from(outbox).where(eq(outbox.id, id)).get();
  if (!row) return undefined;
  return {
    id: row.id,
    template: row.template,
    language: row.language,
    recipient: row.recipient,
    state: row.state,
    held: row.state === "pending" && row.nextAttemptAt.getTime() >= HELD_UNTIL.getTime(),
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    sentAt: row.sentAt,
    payload: row.payload,
  };
}

/** The payloads of the messages `ids` (for rendering their subjects in the list), by id. */
export function outboxPayloads(db: Pick<Db, "select">, ids: readonly string[]): Map<string, Record<string, unknown>> {
  if (ids.length === 0) return new Map();
  const rows = db
    .select({ id: outbox.id, payload: outbox.payload })
    .from(outbox)
    .where(inArray(outbox.id, [...ids]))
    .all();
  return new Map(rows.map((r) => [r.id, r.payload]));
}

/** The held message after `id` in the held list (oldest first), else the first other one still held: the next to read. */
export function nextHeldMessage(db: Pick<Db, "select">, id: string): string | undefined {
  const ids = heldMessageIds(db);
  const at = ids.indexOf(id);
  return (at >= 0 ? ids[at + 1] : undefined) ?? ids.find((other) => other !== id);
}

/** Ids of every held message, oldest first. */
export function heldMessageIds(db: Pick<Db, "select">): string[] {
  return db
    .select({ id: outbox.id })
    .from(outbox)
    .where(and(eq(outbox.state, "pending"), sql`${outbox.nextAttemptAt} >= ${HELD_UNTIL.getTime()}`))
    .orderBy(outbox.createdAt, sql`rowid`)
    .all()
    .map((r) => r.id);
}

/**
 * What "send all" confirms: a digest of the ids of the held messages the organizer was shown
 * (order-free). Sending all is refused when it differs, so nothing held since goes out unseen.
 */
export function heldDigest(ids: readonly string[]): string {
  return createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("base64url")
    .slice(0, 32);
}

/** `changed`: the held messages are not those the organizer was shown (`count` held now). */
export type SendHeldResult = { ok: true; sent: number } | { ok: false; reason: "not_held" | "changed"; count: number };

/**
 * Sends held messages, each with its audit entry, in one transaction: they become due now. Either
 * given ids (those still held are sent), or `{ all: digest }`: every held message, only if they are
 * exactly those of `digest` (heldDigest of the ids shown). Refused when none was sent.
 */
export function sendHeldMessages(
  db: Db,
  actor: Actor,
  target: readonly string[] | { all: string },
  now: number = Date.now(),
): SendHeldResult {
  return db.transaction(
    (tx) => {
      let targets: readonly string[];
      if ("all" in target) {
        targets = heldMessageIds(tx);
        if (targets.length > 0 && heldDigest(targets) !== target.all)
          return { ok: false, reason: "changed", count: targets.length } as const;
      } else targets = target;
      let sent = 0;
      for (const id of targets) {
        if (!releaseHeld(tx, id, now)) continue;
        sent++;
        recordAudit(tx, { actor, action: "mail.release_held", subjectType: "outbox", subjectId: id, after: { state: "pending" } }, now);
      }
      return sent === 0 ? ({ ok: false, reason: "not_held", count: 0 } as const) : ({ ok: true, sent } as const);
    },
    { behavior: "immediate" },
  );
}

/** Cancels a held message (`cancelled` unsent, with who cancelled it; never retried), audited. Refused for a message not held. */
export function cancelHeldMessage(
  db: Db,
  actor: Actor,
  id: string,
  now: number = Date.now(),
): { ok: true } | { ok: false; reason: "not_found" | "not_held" } {
  return db.transaction(
    (tx) => {
      const before = tx.select({ state: outbox.state, template: outbox.template }).from(outbox).where(eq(outbox.id, id)).get();
      if (!before) return { ok: false, reason: "not_found" } as const;
      if (!cancelHeld(tx, id, `Cancelled before sending by ${actor.email}`, now)) return { ok: false, reason: "not_held" } as const;
      recordAudit(
        tx,
        { actor, action: "mail.cancel_held", subjectType: "outbox", subjectId: id, before, after: { state: "cancelled" } },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}
