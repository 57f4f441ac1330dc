import { and, desc, eq, lt, lte, or, sql } from "drizzle-orm";
import { escapeLike, type Db } from "../../../db/client.ts";
import {
  WEBHOOK_DELIVERY_STATES,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
  type WebhookDeliveryState,
} from "../../../db/schema/webhooks.ts";
import { recordAudit } from "../audit.ts";

/**
 * The webhook outbox (decision 40), modelled on the mail outbox (decision 6): a delivery is
 * `pending` until due, `sending` while a worker holds its lease, then `delivered` or `failed`. A
 * worker that dies mid-send leaves a `sending` row whose lease expires; the next claim takes it over
 * and sends the same body under the same `webhook-id`, so a receiver that keeps the ids it processed
 * acts once. Deliveries of a disabled endpoint wait (unclaimed) until it is enabled again.
 */

export type Delivery = typeof webhookDeliveries.$inferSelect;

/** A claimed delivery with what it takes to send it. */
export interface ClaimedDelivery {
  delivery: Delivery;
  event: { id: string; type: string; body: string };
  endpoint: { id: number; url: string; secretSealed: string };
}

/** Attempts after which a delivery is failed (with the default back-off, about 9 hours of outage). */
export const MAX_ATTEMPTS = 12;
/** Default back-off: 30 s doubling up to 1 h, half of each delay taken off at random. */
export const DEFAULT_RETRY = { baseMs: 30_000, maxMs: 60 * 60_000 } as const;

/** The delay before attempt `attempt + 1`: exponential with jitter (the upper half of the window). */
export function retryDelay(
  attempt: number,
  { baseMs, maxMs }: { baseMs: number; maxMs: number } = DEFAULT_RETRY,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Claims the next due delivery of an enabled endpoint in one IMMEDIATE transaction (two workers
 * never claim the same row): `pending` and due, or `sending` with an expired lease. Marks it
 * `sending` until `now + leaseMs` and counts the attempt. A row whose lease expired at its last
 * allowed attempt (it keeps killing its worker) is failed instead.
 */
export function claimDelivery(
  db: Db,
  { now = Date.now(), leaseMs, maxAttempts = MAX_ATTEMPTS }: { now?: number; leaseMs: number; maxAttempts?: number },
): ClaimedDelivery | undefined {
  const at = new Date(now);
  return db.transaction(
    (tx) => {
      for (;;) {
        const found = tx
          .select({ delivery: webhookDeliveries })
          .from(webhookDeliveries)
          .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
          .where(
            and(
              eq(webhookEndpoints.enabled, true),
              or(
                and(eq(webhookDeliveries.state, "pending"), lte(webhookDeliveries.nextAttemptAt, at)),
                and(eq(webhookDeliveries.state, "sending"), lt(webhookDeliveries.leaseUntil, at)),
              ),
            ),
          )
          .orderBy(webhookDeliveries.nextAttemptAt, webhookDeliveries.id)
          .limit(1)
          .get();
        if (!found) return undefined;
        const row = found.delivery;
        if (row.state === "sending" && row.attempts >= maxAttempts) {
          tx.update(webhookDeliveries)
            .set({
              state: "failed",
              leaseUntil: null,
              lastError: `Abandoned after ${row.attempts} attempts: the worker stopped while sending`,
            })
            .where(eq(webhookDeliveries.id, row.id))
            .run();
          continue;
        }
        const delivery = tx
          .update(webhookDeliveries)
          .set({
            state: "sending",
            leaseUntil: new Date(now + leaseMs),
            attempts: sql`${webhookDeliveries.attempts} + 1`,
            lastAttemptAt: at,
          })
          .where(eq(webhookDeliveries.id, row.id))
          .returning()
          .get()!;
        const event = tx
          .select({ id: webhookEvents.id, type: webhookEvents.type, body: webhookEvents.body })
          .from(webhookEvents)
          .where(eq(webhookEvents.id, row.eventId))
          .get()!;
        const endpoint = tx
          .select({ id: webhookEndpoints.id, url: webhookEndpoints.url, secretSealed: webhookEndpoints.secretSealed })
          .from(webhookEndpoints)
          .where(eq(webhookEndpoints.id, row.endpointId))
          .get()!;
        return { delivery, event, endpoint };
      }
    },
    { behavior: "immediate" },
  );
}

/** What one attempt came to. */
export type AttemptOutcome =
  | { kind: "delivered"; status: number; response: string }
  | { kind: "retry"; status: number | null; response: string; error: string; nextAttemptAt: number }
  | { kind: "failed"; status: number | null; response: string; error: string };

/**
 * Records an attempt's outcome on a delivery this worker still holds (same attempt count, still
 * `sending`): a worker whose lease was taken over meanwhile records nothing. Returns whether it did.
 */
export function recordAttempt(db: Db, claimed: Pick<Delivery, "id" | "attempts">, outcome: AttemptOutcome, now = Date.now()): boolean {
  const mine = and(
    eq(webhookDeliveries.id, claimed.id),
    eq(webhookDeliveries.state, "sending"),
    eq(webhookDeliveries.attempts, claimed.attempts),
  );
  const common = { leaseUntil: null, lastStatus: outcome.status, lastResponse: outcome.response };
  const set =
    outcome.kind === "delivered"
      ? { ...common, state: "delivered" as const, lastError: null, deliveredAt: new Date(now) }
      : outcome.kind === "retry"
        ? { ...common, state: "pending" as const, lastError: outcome.error, nextAttemptAt: new Date(outcome.nextAttemptAt) }
        : { ...common, state: "failed" as const, lastError: outcome.error };
  return db.update(webhookDeliveries).set(set).where(mine).run().changes === 1;
}

/**
 * An organizer sends a delivery again (a failed one, or a delivered one the receiver lost): due now,
 * a fresh round of attempts, the same event and so the same `webhook-id` and body. One being sent
 * right now is left alone.
 */
export function resendDelivery(
  db: Db,
  actor: { id: number; email: string },
  id: number,
  now = Date.now(),
): { ok: true } | { ok: false; reason: "not_found" | "sending" } {
  return db.transaction(
    (tx) => {
      const row = tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();
      if (!row) return { ok: false, reason: "not_found" } as const;
      if (row.state === "sending" || row.state === "pending") return { ok: false, reason: "sending" } as const;
      tx.update(webhookDeliveries)
        .set({ state: "pending", attempts: 0, nextAttemptAt: new Date(now), leaseUntil: null })
        .where(eq(webhookDeliveries.id, id))
        .run();
      recordAudit(
        tx,
        {
          actor,
          action: "webhook.resend",
          subjectType: "webhook_delivery",
          subjectId: id,
          before: { state: row.state },
          after: { state: "pending", event: row.eventId },
        },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** The list's filters: state, and a search in the event's id and type. */
export interface DeliveryQuery {
  state: WebhookDeliveryState | "";
  q: string;
  page: number;
}

/** The query of a deliveries page from its URL. */
export function parseDeliveryQuery(params: URLSearchParams): DeliveryQuery {
  const state = params.get("state") ?? "";
  const page = Number(params.get("page") ?? 1);
  return {
    state: (WEBHOOK_DELIVERY_STATES as readonly string[]).includes(state) ? (state as WebhookDeliveryState) : "",
    q: (params.get("q") ?? "").trim().slice(0, 100),
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

export interface DeliveryItem {
  id: number;
  eventId: string;
  type: string;
  state: WebhookDeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastResponse: string | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  createdAt: Date;
}

export const PER_PAGE = 50;

/** An endpoint's deliveries, newest first, filtered and paged. */
export function listDeliveries(
  db: Db,
  endpointId: number,
  query: DeliveryQuery,
): { rows: DeliveryItem[]; total: number; page: number; pages: number } {
  const pattern = `%${escapeLike(query.q)}%`;
  const where = and(
    eq(webhookDeliveries.endpointId, endpointId),
    query.state ? eq(webhookDeliveries.state, query.state) : undefined,
    query.q ? or(sql`${webhookEvents.id} like ${pattern} escape '\\'`, sql`${webhookEvents.type} like ${pattern} escape '\\'`) : undefined,
  );
  const total = db
    .select({ n: sql<number>`count(*)` })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(where)
    .get()!.n;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  const page = Math.min(query.page, pages);
  const rows = db
    .select({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      type: webhookEvents.type,
      state: webhookDeliveries.state,
      attempts: webhookDeliveries.attempts,
      lastStatus: webhookDeliveries.lastStatus,
      lastResponse: webhookDeliveries.lastResponse,
      lastError: webhookDeliveries.lastError,
      lastAttemptAt: webhookDeliveries.lastAttemptAt,
      nextAttemptAt: webhookDeliveries.nextAttemptAt,
      deliveredAt: webhookDeliveries.deliveredAt,
      createdAt: webhookDeliveries.createdAt,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(where)
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(PER_PAGE)
    .offset((page - 1) * PER_PAGE)
    .all();
  return { rows, total, page, pages };
}
