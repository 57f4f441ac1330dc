import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** The states of a registration (BRIEF, Registration). Check-in is a time, not a state. */
export const REGISTRATION_STATES = ["pending_email", "pending_review", "confirmed", "waitlisted", "rejected", "cancelled"] as const;
export type RegistrationState = (typeof REGISTRATION_STATES)[number];

/** States in which a registration is "active": at most one per e-mail address. */
export const ACTIVE_STATES = ["pending_email", "pending_review", "confirmed", "waitlisted"] as const satisfies readonly RegistrationState[];

const now = sql`(unixepoch('subsec') * 1000)`;

export const registrations = sqliteTable(
  "registrations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Lower-cased, trimmed. */
    email: text("email").notNull(),
    category: text("category").notNull(),
    status: text("status", { enum: REGISTRATION_STATES }).notNull(),
    /** Language of the attendee's e-mails and pages. */
    language: text("language", { enum: ["en", "fr"] }).notNull(),
    name: text("name").notNull(),
    organisation: text("organisation").notNull(),
    /** ISO 3166-1 alpha-2. */
    country: text("country").notNull(),
    dietary: text("dietary").notNull().default(""),
    accessibility: text("accessibility").notNull().default(""),
    // Category fields; empty when they do not apply.
    agency: text("agency").notNull().default(""),
    position: text("position").notNull().default(""),
    officialEmail: text("official_email").notNull().default(""),
    company: text("company").notNull().default(""),
    role: text("role").notNull().default(""),
    institution: text("institution").notNull().default(""),
    policyBody: text("policy_body").notNull().default(""),
    /** Consent to appear in the participant list; off unless ticked. */
    listConsent: integer("list_consent", { mode: "boolean" }).notNull().default(false),
    privacyConsentAt: integer("privacy_consent_at", { mode: "timestamp_ms" }).notNull(),
    /** The official e-mail is in a configured official domain and is the confirmed address. Never approves by itself. */
    domainVerified: integer("domain_verified", { mode: "boolean" }).notNull().default(false),
    /** Holds one of its category's seats (confirmed, or confirmed and sent back to review by an edit). */
    seatHeld: integer("seat_held", { mode: "boolean" }).notNull().default(false),
    /** When it joined the waiting list; promotion order. */
    waitlistedAt: integer("waitlisted_at", { mode: "timestamp_ms" }),
    /** `pending_email` registrations past this time are expired by the sweeper. */
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    /** Random; the ticket secret is derived from it with the application key and never stored. */
    ticketNonce: text("ticket_nonce").notNull(),
    /** SHA-256 of the ticket secret, to find a registration from a scanned ticket. */
    ticketHash: text("ticket_hash").notNull().unique(),
    checkedInAt: integer("checked_in_at", { mode: "timestamp_ms" }),
    /**
     * When the provider reported that its address confirmation bounced (the address does not take
     * mail), with the provider's reason; cleared when the address is confirmed after all.
     */
    emailBouncedAt: integer("email_bounced_at", { mode: "timestamp_ms" }),
    emailBounce: text("email_bounce"),
    /** Reason given to the attendee when rejected. */
    rejectionReason: text("rejection_reason").notNull().default(""),
    /** Bumped on every write, for optimistic concurrency on edits. */
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [
    // Keep equal to `activeRegistration` below (same states, same order).
    uniqueIndex("registrations_one_active_per_email")
      .on(t.email)
      .where(sql`status in ('pending_email', 'pending_review', 'confirmed', 'waitlisted')`),
    index("registrations_category_seat").on(t.category, t.seatHeld),
    index("registrations_waitlist").on(t.status, t.waitlistedAt),
    index("registrations_expiry").on(t.status, t.expiresAt),
  ],
);

/**
 * "The registration is active", with the states written as literals in the order of the partial
 * index `registrations_one_active_per_email`: a lookup by address with it uses that index. With the
 * states as bound parameters (`inArray`), SQLite cannot tell that the query implies the index's
 * condition and reads every active registration instead (a table scan per form in a burst).
 */
export const activeRegistration = sql`${registrations.status} in (${sql.raw(ACTIVE_STATES.map((s) => `'${s}'`).join(", "))})`;

/** Every state change: who, when, from, to, why. */
export const registrationEvents = sqliteTable(
  "registration_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    registrationId: integer("registration_id")
      .notNull()
      .references(() => registrations.id, { onDelete: "cascade" }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    /** `attendee`, `system`, or `staff:<account id>`. */
    actor: text("actor").notNull(),
    fromStatus: text("from_status", { enum: REGISTRATION_STATES }),
    toStatus: text("to_status", { enum: REGISTRATION_STATES }).notNull(),
    note: text("note").notNull().default(""),
  },
  (t) => [index("registration_events_registration").on(t.registrationId, t.at)],
);

/**
 * Private manage links. The token is derived from `nonce` with the application key; only its
 * SHA-256 is stored. Several may be live (each "already registered" message issues a new one).
 */
export const registrationTokens = sqliteTable(
  "registration_tokens",
  {
    hash: text("hash").primaryKey(),
    registrationId: integer("registration_id")
      .notNull()
      .references(() => registrations.id, { onDelete: "cascade" }),
    nonce: text("nonce").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("registration_tokens_registration").on(t.registrationId)],
);
