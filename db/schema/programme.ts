import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";

/** Who may see a session in full: everyone, confirmed attendees, or confirmed law-enforcement attendees. */
export const AUDIENCES = ["public", "registered", "law-enforcement"] as const;
export type Audience = (typeof AUDIENCES)[number];

/** Traffic Light Protocol 2.0 labels. */
export const TLP_LABELS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] as const;
export type TlpLabel = (typeof TLP_LABELS)[number];

/** A session's lifecycle, as in pretalx: only `confirmed` sessions can be scheduled and published. */
export const SESSION_STATES = ["submitted", "accepted", "confirmed", "rejected", "withdrawn", "cancelled"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const LANGUAGES = ["en", "fr"] as const;
export type Language = (typeof LANGUAGES)[number];

const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
};

export const rooms = sqliteTable("rooms", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  capacity: integer("capacity").notNull(),
  position: integer("position").notNull().default(0),
  description: text("description").notNull().default(""),
  ...timestamps,
});

export const tracks = sqliteTable("tracks", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  nameEn: text("name_en").notNull(),
  nameFr: text("name_fr").notNull(),
  colour: text("colour").notNull(),
  position: integer("position").notNull().default(0),
  ...timestamps,
});

export const formats = sqliteTable("formats", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  nameEn: text("name_en").notNull(),
  nameFr: text("name_fr").notNull(),
  /** Default length in minutes. */
  defaultDuration: integer("default_duration").notNull(),
  ...timestamps,
});

export const speakers = sqliteTable("speakers", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  affiliation: text("affiliation").notNull().default(""),
  /** ISO 3166-1 alpha-2. */
  country: text("country").notNull().default(""),
  /** Biography in English and in French (Markdown); either may be empty. */
  bioEn: text("bio_en").notNull().default(""),
  bioFr: text("bio_fr").notNull().default(""),
  links: text("links", { mode: "json" })
    .$type<{ label: string; url: string }[]>()
    .notNull()
    .default(sql`'[]'`),
  photo: text("photo"),
  /** Private: never shown on public pages or exports. */
  email: text("email"),
  /** The account that keeps this profile (a speaker who signed in for the call for papers). */
  userId: integer("user_id")
    .unique()
    .references(() => users.id, { onDelete: "set null" }),
  /** Language of the e-mails this speaker gets. */
  language: text("language", { enum: LANGUAGES }).notNull().default("en"),
  /** When the speaker can speak during the forum (ISO instants); empty: any time. Private. */
  availability: text("availability", { mode: "json" })
    .$type<{ from: string; to: string }[]>()
    .notNull()
    .default(sql`'[]'`),
  ...timestamps,
});

export const sessions = sqliteTable(
  "sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    slug: text("slug").notNull().unique(),
    titleEn: text("title_en").notNull().default(""),
    titleFr: text("title_fr").notNull().default(""),
    abstractEn: text("abstract_en").notNull().default(""),
    abstractFr: text("abstract_fr").notNull().default(""),
    descriptionEn: text("description_en").notNull().default(""),
    descriptionFr: text("description_fr").notNull().default(""),
    formatId: integer("format_id")
      .notNull()
      .references(() => formats.id),
    trackId: integer("track_id").references(() => tracks.id),
    language: text("language", { enum: LANGUAGES }).notNull().default("en"),
    audience: text("audience", { enum: AUDIENCES }).notNull().default("public"),
    /** For restricted sessions: whether viewers who may not see it still see its title and time. */
    titlePublic: integer("title_public", { mode: "boolean" }).notNull().default(true),
    tlp: text("tlp", { enum: TLP_LABELS }).notNull().default("CLEAR"),
    state: text("state", { enum: SESSION_STATES }).notNull().default("submitted"),
    published: integer("published", { mode: "boolean" }).notNull().default(false),
    startsAt: integer("starts_at", { mode: "timestamp_ms" }),
    endsAt: integer("ends_at", { mode: "timestamp_ms" }),
    /** Null with a time set: the item spans every room (breaks, plenary). */
    roomId: integer("room_id").references(() => rooms.id),
    /** People expected, to warn when the room is smaller; null when unknown. */
    expectedAudience: integer("expected_audience"),
    /** Incremented on each save; lets a second editor detect a concurrent change. */
    version: integer("version").notNull().default(1),
    ...timestamps,
  },
  (t) => [index("sessions_start_idx").on(t.startsAt), index("sessions_state_idx").on(t.state, t.published)],
);

export const sessionSpeakers = sqliteTable(
  "session_speakers",
  {
    sessionId: integer("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    speakerId: integer("speaker_id")
      .notNull()
      .references(() => speakers.id, { onDelete: "cascade" }),
    position: integer("position").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.speakerId] }), index("session_speakers_speaker_idx").on(t.speakerId)],
);
