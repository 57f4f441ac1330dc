import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { webhookDeliveries, webhookEndpoints, webhookEvents, type WebhookEventType } from "../../../db/schema/webhooks.ts";

export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "../../../db/schema/webhooks.ts";

/**
 * The one way a state change tells the organizers' webhooks (decision 40): `emitWebhook(tx, ...)`
 * inside the transaction of the change, as `enqueue` is for e-mail. It writes the event (its JSON
 * body, fixed now) and one pending delivery per enabled endpoint subscribed to its type, so a
 * rolled-back change leaves no event and a committed one always has its deliveries. With no
 * endpoint subscribed it writes nothing (a registration burst pays one small prepared SELECT).
 *
 * Payloads name things by their ids and states, never by personal data (a registration's name or
 * address): the receiver asks the API for what it needs, with a token that is audited.
 */

/** What each event type says about its subject. */
export interface WebhookData {
  "registration.created": RegistrationData;
  "registration.confirmed": RegistrationData;
  "registration.waitlisted": RegistrationData;
  "registration.promoted": RegistrationData;
  "registration.rejected": RegistrationData;
  "registration.cancelled": RegistrationData;
  "registration.checked_in": RegistrationData;
  "release.published": { release: number; publishedAt: string };
  "proposal.submitted": ProposalData;
  "proposal.accepted": ProposalData;
  "proposal.rejected": ProposalData;
  "proposal.confirmed": ProposalData & { session: string | null };
}

export interface RegistrationData {
  registration: number;
  state: string;
  category: string;
}

export interface ProposalData {
  proposal: string;
  state: string;
}

/** The database or a transaction inside it. */
export type Tx = Pick<Db, "insert" | "select" | "update">;

const selects = new WeakMap<object, ReturnType<typeof prepareSelect>>();

function prepareSelect(db: Tx) {
  return db
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.enabled, true))
    .prepare();
}

/** The subscribed-endpoints query, prepared once per SQLite connection (a transaction's included). */
function subscribers(db: Tx) {
  const client = (db as unknown as { session?: { client?: object } }).session?.client;
  if (!client) return prepareSelect(db);
  let statement = selects.get(client);
  if (!statement) selects.set(client, (statement = prepareSelect(db)));
  return statement;
}

/**
 * Queues the event `type` about `data` for every enabled endpoint that wants it; synchronous, so it
 * joins the caller's transaction. Returns the event id, or null when no endpoint wanted it.
 */
export function emitWebhook<T extends WebhookEventType>(tx: Tx, type: T, data: WebhookData[T], now: number = Date.now()): string | null {
  const endpoints = subscribers(tx)
    .all()
    .filter((e) => Array.isArray(e.events) && e.events.includes(type));
  if (endpoints.length === 0) return null;
  const id = `msg_${randomUUID().replace(/-/g, "")}`;
  const body = JSON.stringify({ id, type, timestamp: new Date(now).toISOString(), data });
  tx.insert(webhookEvents)
    .values({ id, type, body, createdAt: new Date(now) })
    .run();
  tx.insert(webhookDeliveries)
    .values(endpoints.map((e) => ({ eventId: id, endpointId: e.id, nextAttemptAt: new Date(now), createdAt: new Date(now) })))
    .run();
  return id;
}

/** The registration event a state reached by `transition` is (pending_review and the like tell no webhook). */
export function registrationEventOf(state: string, promoted = false): WebhookEventType | null {
  if (state === "confirmed") return promoted ? "registration.promoted" : "registration.confirmed";
  if (state === "waitlisted") return "registration.waitlisted";
  if (state === "rejected") return "registration.rejected";
  if (state === "cancelled") return "registration.cancelled";
  return null;
}

/** How many events were written (for tests and the page's counts). */
export function eventCount(db: Pick<Db, "select">): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(webhookEvents)
    .get()!.n;
}
