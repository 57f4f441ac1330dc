import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { registrations } from "./registration.ts";

/**
 * `cancelled`: a held message an organizer gave up before sending (never retried). `expired`: a
 * message worth nothing after a time (a sign-in code, an address confirmation) that was still
 * unsent when that time came, dropped with its reason rather than sent late. A plain text column
 * without a CHECK constraint (migration 0003), so a new state needs no migration.
 */
export const OUTBOX_STATES = ["pending", "sending", "sent", "failed", "cancelled", "expired"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** What the provider told later about a sent message (its webhook): the last word wins by rank, see webhook.ts. */
export const DELIVERY_OUTCOMES = ["delayed", "delivered", "bounced", "complained"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** Kinds of group message: an organizers' message to a group of attendees, the notices of a schedule release. */
export const MAIL_GROUP_KINDS = ["announcement", "release", "certificate"] as const;
export type MailGroupKind = (typeof MAIL_GROUP_KINDS)[number];

/**
 * One group message: the organizers' text (or the release it tells about) and who queued it, the
 * history that /admin/mail shows; each recipient's e-mail is an outbox row pointing here. A paused
 * group's messages that were not yet handed to the provider wait until it is resumed.
 */
export const mailGroups = sqliteTable(
  "mail_groups",
  {
    /** The one-time key of the previewed announcement (a UUID), or `release-<number>`. */
    id: text("id").primaryKey(),
    kind: text("kind", { enum: MAIL_GROUP_KINDS }).notNull(),
    subjectEn: text("subject_en").notNull().default(""),
    subjectFr: text("subject_fr").notNull().default(""),
    bodyEn: text("body_en").notNull().default(""),
    bodyFr: text("body_fr").notNull().default(""),
    /** The recipients' filters of an announcement (registrations list filters). */
    filters: text("filters", { mode: "json" }).$type<Record<string, string>>(),
    /** The schedule release a release group tells about. */
    release: integer("release"),
    recipients: integer("recipients").notNull(),
    createdByEmail: text("created_by_email").notNull().default(""),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    pausedAt: integer("paused_at", { mode: "timestamp_ms" }),
    pausedByEmail: text("paused_by_email"),
  },
  (t) => [index("mail_groups_created").on(t.createdAt)],
);

/**
 * Every e-mail the site sends, written in the same transaction as the change that causes it and
 * delivered by the worker (src/lib/email/worker.ts). The id is the provider's idempotency key of a
 * message sent alone; a batch's key is recorded in `batch_id` before it is sent.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    /** UUID; also the idempotency key sent to the provider when the message goes alone. */
    id: text("id").primaryKey(),
    template: text("template").notNull(),
    language: text("language", { enum: ["en", "fr"] }).notNull(),
    recipient: text("recipient").notNull(),
    /** JSON object of the template's variables. Never holds a secret: tokens are derived at render time. */
    payload: text("payload", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    state: text("state", { enum: OUTBOX_STATES }).notNull().default("pending"),
    /** 0 sign-in (and a private link asked for again), 1 other state changes, 2 group messages: lower goes first (outbox.ts, priorityOf). */
    priority: integer("priority").notNull().default(1),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    /** After this time the message is worth nothing (its link or code no longer works): dropped as `expired` if unsent. */
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    /** While `sending`: the worker holding it; another may take it over after this time. */
    leaseUntil: integer("lease_until", { mode: "timestamp_ms" }),
    /**
     * The idempotency key of the request that carries it, set before that request is first made:
     * its own id when it goes alone, `batch-<digest of the members' ids>` in a batch. A request whose
     * answer was lost is made again with the same key and the same members. Null until then.
     */
    batchId: text("batch_id"),
    /** The group message it belongs to (an announcement, a release's notices). */
    groupId: text("group_id").references(() => mailGroups.id),
    lastError: text("last_error"),
    providerMessageId: text("provider_message_id"),
    /** The provider's last word after sending (its webhook): delivered, delayed, bounced, complained. */
    delivery: text("delivery", { enum: DELIVERY_OUTCOMES }),
    /** The provider's reason, for a bounce. */
    deliveryDetail: text("delivery_detail"),
    deliveryAt: integer("delivery_at", { mode: "timestamp_ms" }),
    /** The registration it is about, so erasure removes its mail too. */
    registrationId: integer("registration_id").references(() => registrations.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("outbox_due").on(t.state, t.nextAttemptAt),
    index("outbox_queue").on(t.state, t.priority, t.nextAttemptAt),
    index("outbox_expiry").on(t.state, t.expiresAt),
    index("outbox_registration").on(t.registrationId),
    index("outbox_batch").on(t.batchId),
    index("outbox_group").on(t.groupId, t.state),
    index("outbox_provider_message").on(t.providerMessageId),
    index("outbox_delivery").on(t.delivery),
  ],
);

/**
 * The provider's pace, shared by every worker on this database: when the last requests were made
 * (at most as many as the provider allows per window), what the provider said its limit is, and
 * until when it asked for a pause (pace.ts). One row.
 */
export const mailPace = sqliteTable("mail_pace", {
  id: integer("id").primaryKey(),
  /** Requests allowed per window (the provider's `ratelimit-limit`; MAIL_RATE_LIMIT until it said). */
  quota: integer("quota"),
  /** JSON array of the times (ms) the latest requests reached the provider, as far as known (pace.ts). */
  recent: text("recent", { mode: "json" })
    .notNull()
    .$type<number[]>()
    .default(sql`'[]'`),
  /** JSON array of the latest round trips (ms), whose shortest tells how late a slow one may have arrived. */
  roundTrips: text("round_trips", { mode: "json" })
    .notNull()
    .$type<number[]>()
    .default(sql`'[]'`),
  /** After a 429 (its `retry-after`), a spent window or an account problem: no request before this time. */
  blockedUntil: integer("blocked_until").notNull().default(0),
  /** JSON array of the requests made and not answered yet (`{ at, until }`, ms): each holds a place in the window until then. */
  inFlight: text("in_flight", { mode: "json" })
    .notNull()
    .$type<{ at: number; until: number }[]>()
    .default(sql`'[]'`),
});

/** Ids of the provider's webhook deliveries already recorded (the `svix-id`), so a replayed one is refused. */
export const mailWebhookEvents = sqliteTable(
  "mail_webhook_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("mail_webhook_events_received").on(t.receivedAt)],
);
