import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { registrations } from "./registration.ts";

/**
 * `cancelled`: a held message an organizer gave up before sending (never retried). A plain text
 * column without a CHECK constraint (migration 0003), so a new state needs no migration.
 */
export const OUTBOX_STATES = ["pending", "sending", "sent", "failed", "cancelled"] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * Every e-mail the site sends, written in the same transaction as the change that causes it and
 * delivered by the worker (src/lib/email/worker.ts). The id is the provider's idempotency key.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    /** UUID; also the idempotency key sent to the provider. */
    id: text("id").primaryKey(),
    template: text("template").notNull(),
    language: text("language", { enum: ["en", "fr"] }).notNull(),
    recipient: text("recipient").notNull(),
    /** JSON object of the template's variables. Never holds a secret: tokens are derived at render time. */
    payload: text("payload", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    state: text("state", { enum: OUTBOX_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    /** While `sending`: the worker holding it; another may take it over after this time. */
    leaseUntil: integer("lease_until", { mode: "timestamp_ms" }),
    lastError: text("last_error"),
    providerMessageId: text("provider_message_id"),
    /** The registration it is about, so erasure removes its mail too. */
    registrationId: integer("registration_id").references(() => registrations.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("outbox_due").on(t.state, t.nextAttemptAt), index("outbox_registration").on(t.registrationId)],
);
