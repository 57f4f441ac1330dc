import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";
import { AUDIENCES, formats, LANGUAGES, sessions, speakers, TLP_LABELS, tracks } from "./programme.ts";

/**
 * The call for papers and its review (issue 6). A proposal belongs to speakers (profiles in the
 * `speakers` table, linked to an account by `speakers.user_id`); it becomes a session of the
 * programme once accepted and confirmed. Modelled on pretalx: an explicit state, and a decision held
 * as `pending_state` until the committee releases decisions together.
 */

/** A proposal's lifecycle, spelled as in the brief. */
export const PROPOSAL_STATES = ["draft", "submitted", "accepted", "rejected", "confirmed", "declined", "withdrawn"] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** A decision taken but not yet released to the speakers. */
export const PENDING_DECISIONS = ["accepted", "rejected"] as const;
export type PendingDecision = (typeof PENDING_DECISIONS)[number];

export const INVITATION_STATES = ["pending", "accepted", "declined", "withdrawn"] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** Whom a reviewer is assigned: every proposal, those of one track, or one proposal. */
export const ASSIGNMENT_SCOPES = ["all", "track", "proposal"] as const;
export type AssignmentScope = (typeof ASSIGNMENT_SCOPES)[number];

const now = sql`(unixepoch('subsec') * 1000)`;

export const proposals = sqliteTable(
  "proposals",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Random public identifier used in URLs (never the sequential id). */
    code: text("code").notNull().unique(),
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
    tlp: text("tlp", { enum: TLP_LABELS }).notNull().default("CLEAR"),
    /** To the committee only; never public. */
    notes: text("notes").notNull().default(""),
    state: text("state", { enum: PROPOSAL_STATES }).notNull().default("draft"),
    /** The committee's decision, invisible to speakers until released. */
    pendingState: text("pending_state", { enum: PENDING_DECISIONS }),
    /** The committee's words to the speakers with a rejection (optional; sent when released). */
    decisionReason: text("decision_reason").notNull().default(""),
    /** The account that created it. */
    createdBy: integer("created_by")
      .notNull()
      .references(() => users.id),
    submittedAt: integer("submitted_at", { mode: "timestamp_ms" }),
    decidedAt: integer("decided_at", { mode: "timestamp_ms" }),
    /** The programme session made of it once confirmed. */
    sessionId: integer("session_id").references(() => sessions.id, { onDelete: "set null" }),
    /** Incremented on each save (optimistic concurrency, as for sessions). */
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [index("proposals_state_idx").on(t.state, t.pendingState), index("proposals_track_idx").on(t.trackId)],
);

/** The speakers of a proposal, in order. The first is the one who created it. */
export const proposalSpeakers = sqliteTable(
  "proposal_speakers",
  {
    proposalId: integer("proposal_id")
      .notNull()
      .references(() => proposals.id, { onDelete: "cascade" }),
    speakerId: integer("speaker_id")
      .notNull()
      .references(() => speakers.id, { onDelete: "cascade" }),
    position: integer("position").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.proposalId, t.speakerId] }), index("proposal_speakers_speaker_idx").on(t.speakerId)],
);

/** A co-speaker invited by e-mail; joins the proposal when accepting. Only the token's hash is kept. */
export const proposalInvitations = sqliteTable(
  "proposal_invitations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    proposalId: integer("proposal_id")
      .notNull()
      .references(() => proposals.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    state: text("state", { enum: INVITATION_STATES }).notNull().default("pending"),
    invitedBy: integer("invited_by")
      .notNull()
      .references(() => users.id),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }).notNull(),
    respondedAt: integer("responded_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [index("proposal_invitations_proposal_idx").on(t.proposalId)],
);

/**
 * One-time links of the call: a late submission granted by an organizer to one address
 * (`purpose = late`), an accepted speaker's confirmation (`purpose = confirm`). Only hashes stored.
 */
export const cfpTokens = sqliteTable(
  "cfp_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    purpose: text("purpose", { enum: ["late", "confirm"] }).notNull(),
    email: text("email").notNull(),
    proposalId: integer("proposal_id").references(() => proposals.id, { onDelete: "cascade" }),
    /** For a late submission: the format it is for (null: any). */
    formatId: integer("format_id").references(() => formats.id),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    createdBy: integer("created_by").references(() => users.id),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [index("cfp_tokens_email_idx").on(t.email, t.purpose)],
);

/** A message from the organizers to a proposal's speakers (the only committee words speakers see). */
export const proposalMessages = sqliteTable(
  "proposal_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    proposalId: integer("proposal_id")
      .notNull()
      .references(() => proposals.id, { onDelete: "cascade" }),
    authorId: integer("author_id")
      .notNull()
      .references(() => users.id),
    body: text("body").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [index("proposal_messages_proposal_idx").on(t.proposalId)],
);

/** The committee's scoring criteria. */
export const reviewCriteria = sqliteTable("review_criteria", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  nameEn: text("name_en").notNull(),
  nameFr: text("name_fr").notNull(),
  /** Scores run from `scaleMin` to `scaleMax`, whole numbers. */
  scaleMin: integer("scale_min").notNull().default(0),
  scaleMax: integer("scale_max").notNull().default(5),
  weight: real("weight").notNull().default(1),
  position: integer("position").notNull().default(0),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
});

/** The committee's choices; a single row (id = 1). */
export const reviewSettings = sqliteTable("review_settings", {
  id: integer("id").primaryKey(),
  /** Reviewers do not see who the speakers are. */
  hideSpeakerNames: integer("hide_speaker_names", { mode: "boolean" }).notNull().default(true),
  /** A reviewer sees the others' reviews of a proposal only after giving their own. */
  othersAfterOwn: integer("others_after_own", { mode: "boolean" }).notNull().default(true),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(now),
});

export const reviewerAssignments = sqliteTable(
  "reviewer_assignments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    scope: text("scope", { enum: ASSIGNMENT_SCOPES }).notNull(),
    trackId: integer("track_id").references(() => tracks.id, { onDelete: "cascade" }),
    proposalId: integer("proposal_id").references(() => proposals.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [index("reviewer_assignments_user_idx").on(t.userId)],
);

/** A reviewer's review of a proposal: a comment and one score per criterion, or an abstention. */
export const reviews = sqliteTable(
  "reviews",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    proposalId: integer("proposal_id")
      .notNull()
      .references(() => proposals.id, { onDelete: "cascade" }),
    reviewerId: integer("reviewer_id")
      .notNull()
      .references(() => users.id),
    abstain: integer("abstain", { mode: "boolean" }).notNull().default(false),
    /** For the committee only; never shown to speakers. */
    comment: text("comment").notNull().default(""),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [uniqueIndex("reviews_proposal_reviewer_idx").on(t.proposalId, t.reviewerId)],
);

export const reviewScores = sqliteTable(
  "review_scores",
  {
    reviewId: integer("review_id")
      .notNull()
      .references(() => reviews.id, { onDelete: "cascade" }),
    criterionId: integer("criterion_id")
      .notNull()
      .references(() => reviewCriteria.id, { onDelete: "cascade" }),
    score: integer("score").notNull(),
  },
  (t) => [primaryKey({ columns: [t.reviewId, t.criterionId] })],
);
