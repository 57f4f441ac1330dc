import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The organizers' outgoing webhooks (issue 15, decision 40), not to be confused with the provider's
 * incoming delivery reports (`mail_webhook_events`, /webhooks/resend). An endpoint is a URL that
 * wants some event types; every event of those types written while it is enabled gets one delivery
 * row, queued in the transaction of the change, delivered by the background process's worker.
 */

/** The event types an endpoint may subscribe to, as they appear in the payload's `type`. */
export const WEBHOOK_EVENT_TYPES = [
  "registration.created",
  "registration.confirmed",
  "registration.waitlisted",
  "registration.promoted",
  "registration.rejected",
  "registration.cancelled",
  "registration.checked_in",
  "release.published",
  "proposal.submitted",
  "proposal.accepted",
  "proposal.rejected",
  "proposal.confirmed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * `pending` until due, `sending` while a worker holds its lease, then `delivered` (a 2xx) or `failed`
 * (a refusal, or out of attempts). A plain text column, so a new state needs no migration.
 */
export const WEBHOOK_DELIVERY_STATES = ["pending", "sending", "delivered", "failed"] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  url: text("url").notNull(),
  /** A name the organizers give it ("Badge printer"). */
  description: text("description").notNull().default(""),
  /** JSON array of WebhookEventType. */
  events: text("events", { mode: "json" }).notNull().$type<WebhookEventType[]>(),
  /**
   * The signing secret (`whsec_...`), sealed under the application key with the endpoint's id as
   * context (src/lib/auth/sealed.ts): it must be read back to sign (an HMAC key cannot be a hash),
   * and a copy of the database alone does not reveal it.
   */
  secretSealed: text("secret_sealed").notNull(),
  /** The secret's last four characters, to tell a receiver's configuration which one it is. */
  secretHint: text("secret_hint").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  createdByEmail: text("created_by_email").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  secretRotatedAt: integer("secret_rotated_at", { mode: "timestamp_ms" }),
});

/**
 * One event, as every subscribed endpoint receives it: the JSON body is written once, when the event
 * happens, so that every attempt and every re-send carries the same bytes under the same id.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    /** `msg_<random>`: the `webhook-id` header, the receiver's idempotency key. */
    id: text("id").primaryKey(),
    type: text("type", { enum: WEBHOOK_EVENT_TYPES }).notNull(),
    /** The request body (JSON text), exactly as sent. */
    body: text("body").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("webhook_events_created").on(t.createdAt)],
);

/** One event for one endpoint: its attempts, its lease while a worker sends it, the last answer. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    endpointId: integer("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    state: text("state", { enum: WEBHOOK_DELIVERY_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    /** While `sending`: another worker may take it over after this time (its worker died). */
    leaseUntil: integer("lease_until", { mode: "timestamp_ms" }),
    /** The HTTP status of the last answer (null: none, a network error or a time-out). */
    lastStatus: integer("last_status"),
    /** The first bytes of the last answer's body, or what went wrong. */
    lastResponse: text("last_response"),
    lastError: text("last_error"),
    lastAttemptAt: integer("last_attempt_at", { mode: "timestamp_ms" }),
    deliveredAt: integer("delivered_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("webhook_deliveries_due").on(t.state, t.nextAttemptAt),
    index("webhook_deliveries_endpoint").on(t.endpointId, t.createdAt),
    index("webhook_deliveries_event").on(t.eventId),
  ],
);
