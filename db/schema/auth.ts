import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Staff roles; plain users (attendees, speakers) have none. */
export const ROLES = ["organizer", "reviewer", "checkin"] as const;
export type Role = (typeof ROLES)[number];

const now = sql`(unixepoch('subsec') * 1000)`;

/** People who can sign in. An account is created on the first sign-in of an address, or by an organizer's invitation. */
export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** Lower-cased, trimmed; unique. */
  email: text("email").notNull().unique(),
  name: text("name").notNull().default(""),
  /** JSON array of staff roles. */
  roles: text("roles", { mode: "json" })
    .notNull()
    .$type<Role[]>()
    .default(sql`'[]'`),
  language: text("language", { enum: ["en", "fr"] })
    .notNull()
    .default("en"),
  /** TOTP key, sealed with the application key (AES-256-GCM); null until enrolled. */
  totpKeySealed: text("totp_key_sealed"),
  totpEnabledAt: integer("totp_enabled_at", { mode: "timestamp_ms" }),
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  totpLastStep: integer("totp_last_step"),
  /** Revoked accounts cannot sign in; their sessions are deleted. */
  revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(now),
});

/** Sessions in the style of Lucia's reference: the id is the SHA-256 of the cookie's random token. */
export const authSessions = sqliteTable(
  "auth_sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    /** A staff session counts as staff only once the second factor was given. */
    twoFactorVerified: integer("two_factor_verified", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("auth_sessions_user").on(t.userId)],
);

/** A pending passwordless sign-in: a one-time link and a short code sent by e-mail. */
export const signInChallenges = sqliteTable(
  "sign_in_challenges",
  {
    /** SHA-256 of the link token. */
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    /** SHA-256 of the short code, salted with the challenge id. */
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("sign_in_challenges_email").on(t.email, t.createdAt)],
);

/** One-time recovery codes of the second factor, stored hashed. */
export const recoveryCodes = sqliteTable(
  "recovery_codes",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/** Every staff action: who, when, what, before and after. Append-only (triggers refuse UPDATE and DELETE). */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    actorId: integer("actor_id"),
    /** The actor's address at the time (kept if the account goes). */
    actorEmail: text("actor_email").notNull(),
    action: text("action").notNull(),
    subjectType: text("subject_type").notNull(),
    subjectId: text("subject_id").notNull().default(""),
    before: text("before", { mode: "json" }).$type<unknown>(),
    after: text("after", { mode: "json" }).$type<unknown>(),
  },
  (t) => [index("audit_log_at").on(t.at), index("audit_log_subject").on(t.subjectType, t.subjectId)],
);
