import { createHash } from "node:crypto";
import { and, desc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { type Db, escapeLike } from "../../../db/client.ts";
import { DELIVERY_OUTCOMES, OUTBOX_STATES, outbox, type DeliveryOutcome, type OutboxState } from "../../../db/schema/outbox.ts";
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

/** What the list filters by of the provider's later word: one outcome, or `problem` (bounced or complained). */
export type OutboxDeliveryFilter = DeliveryOutcome | "problem";
export const OUTBOX_DELIVERY_FILTERS: readonly OutboxDeliveryFilter[] = ["problem", ...DELIVERY_OUTCOMES];

export interface OutboxQuery {
  /** One state, or "" for all. */
  state: OutboxListState | "";
  /** The provider's report after sending, or "" (or absent) for any. */
  delivery?: OutboxDeliveryFilter | "";
  /** Part of the recipient's address or of the template's name. */
  q: string;
  /** Only the messages of this group message (groups.ts), or "" (or absent) for all. */
  group?: string;
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
  /** The provider's report after sending (its webhook), with its reason for a bounce. */
  delivery: DeliveryOutcome | null;
  deliveryDetail: string | null;
  deliveryAt: Date | null;
}

/** Reads the list's query from URL search parameters, ignoring what is not valid. */
export function parseOutboxQuery(params: URLSearchParams): OutboxQuery {
  const state = params.get("state") ?? "";
  const delivery = params.get("delivery") ?? "";
  const group = (params.get("group") ?? "").trim().toLowerCase();
  const page = Number(params.get("page") ?? 1);
  return {
    ...(GROUP_ID.test(group) ? { group } : {}),
    state: (OUTBOX_LIST_STATES as readonly string[]).includes(state) ? (state as OutboxListState) : "",
    delivery: (OUTBOX_DELIVERY_FILTERS as readonly string[]).includes(delivery) ? (delivery as OutboxDeliveryFilter) : "",
    q: (params.get("q") ?? "").trim().slice(0, 200),
    page: Number.isInteger(page) && page > 0 ? Math.min(page, 1_000_000) : 1,
  };
}

/** The shape of a group message's id: an announcement's key or `release-<number>`. */
export const GROUP_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|release-[1-9][0-9]{0,8})$/;

function searchOf(q: string): SQL | undefined {
  if (!q) return undefined;
  const pattern = `%${escapeLike(q.toLowerCase())}%`;
  return or(sql`lower(${outbox.recipient}) like ${pattern} escape '\\'`, sql`lower(${outbox.template}) like ${pattern} escape '\\'`);
}

function deliveryOf(filter: OutboxDeliveryFilter | ""): SQL | undefined {
  if (!filter) return undefined;
  return filter === "problem" ? inArray(outbox.delivery, ["bounced", "complained"]) : eq(outbox.delivery, filter);
}

/**
 * One page of messages, newest first, with the total of the query, the number of messages in each
 * state among those matching the search and the delivery filter (for the state filter), and in each
 * delivery outcome among those matching the search and the state (for the delivery filter).
 */
export function listOutbox(
  db: Db,
  query: OutboxQuery,
  perPage: number = OUTBOX_PAGE_SIZE,
): {
  rows: OutboxItem[];
  total: number;
  page: number;
  pages: number;
  counts: Record<OutboxListState, number>;
  deliveries: Record<OutboxDeliveryFilter, number>;
} {
  const inGroup = query.group ? eq(outbox.groupId, query.group) : undefined;
  const search = and(searchOf(query.q), inGroup, deliveryOf(query.delivery ?? ""));
  const searchOnly = and(searchOf(query.q), inGroup);
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
  const deliveries = Object.fromEntries(OUTBOX_DELIVERY_FILTERS.map((d) => [d, 0])) as Record<OutboxDeliveryFilter, number>;
  for (const { delivery, n } of db
    .select({ delivery: outbox.delivery, n: sql<number>`count(*)` })
    .from(outbox)
    .where(and(searchOnly, byState, sql`${outbox.delivery} is not null`))
    .groupBy(outbox.delivery)
    .all()) {
    deliveries[delivery!] += n;
    if (delivery === "bounced" || delivery === "complained") deliveries.problem += n;
  }
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
      delivery: outbox.delivery,
      deliveryDetail: outbox.deliveryDetail,
      deliveryAt: outbox.deliveryAt,
    })
    .from(outbox)
    .where(where)
    .orderBy(desc(outbox.createdAt), desc(sql`rowid`))
    .limit(perPage)
    .offset((page - 1) * perPage)
    .all()
    .map((row) => ({ ...row, held: row.state === "pending" && row.nextAttemptAt.getTime() >= HELD_UNTIL.getTime() }));
  return { rows, total, page, pages, counts, deliveries };
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
    delivery: row.delivery,
    deliveryDetail: row.deliveryDetail,
    deliveryAt: row.deliveryAt,
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
