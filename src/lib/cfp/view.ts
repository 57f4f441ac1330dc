import { and, asc, desc, eq, inArray } from "drizzle-orm";
import {
  proposalInvitations,
  proposalMessages,
  proposals,
  proposalSpeakers,
  type InvitationState,
  type ProposalState,
} from "../../../db/schema/cfp.ts";
import { formats, speakers, tracks, type Audience, type Language, type TlpLabel } from "../../../db/schema/programme.ts";
import type { DbOrTx } from "../auth/users.ts";
import type { Edition } from "../config/edition.ts";
import { isListed } from "../programme/audience.ts";
import type { Localized, Programme } from "../programme/model.ts";
import { callStatus, type CallStatus } from "./call.ts";
import { INVITABLE_STATES } from "./invitations.ts";
import { EDITABLE_STATES, mayWrite, ownProposal, WITHDRAWABLE_STATES, type Proposal } from "./proposals.ts";

/**
 * What a speaker sees of their proposals. Built field by field from the proposal, its speakers,
 * invitations and the organizers' messages, never from the review tables: reviews, scores and
 * comments cannot leak into it. A decision is shown only once released: until then the proposal
 * stays "submitted" whatever `pending_state` holds.
 */

/** The state a speaker sees (a pending decision is not one). */
export type SpeakerState = ProposalState;

export interface SpeakerProposalSummary {
  code: string;
  /** In English and in French (one at least). */
  title: Localized;
  state: SpeakerState;
  format: string;
  updatedAt: Date;
}

export interface SpeakerProposalView extends SpeakerProposalSummary {
  abstract: Localized;
  description: Localized;
  track: string;
  language: Language;
  audience: Audience;
  tlp: TlpLabel;
  notes: string;
  version: number;
  submittedAt: Date | null;
  speakers: { name: string; you: boolean }[];
  invitations: { id: number; email: string; state: InvitationState; sentAt: Date }[];
  messages: { body: string; at: Date }[];
  call: CallStatus | null;
  /** What the speaker may do now. */
  can: { edit: boolean; submit: boolean; withdraw: boolean; invite: boolean };
  /** Writing is possible only thanks to a late-submission link. */
  late: boolean;
  /** The programme session a confirmed proposal became. */
  sessionId: number | null;
}

/** The released state of a proposal, as its speakers see it. */
export function speakerState(proposal: Pick<Proposal, "state">): SpeakerState {
  return proposal.state;
}

/** The account's proposals, newest first. */
export function myProposals(db: DbOrTx, accountId: number): SpeakerProposalSummary[] {
  return db
    .select({
      code: proposals.code,
      titleEn: proposals.titleEn,
      titleFr: proposals.titleFr,
      state: proposals.state,
      format: formats.slug,
      updatedAt: proposals.updatedAt,
    })
    .from(proposals)
    .innerJoin(proposalSpeakers, eq(proposalSpeakers.proposalId, proposals.id))
    .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
    .innerJoin(formats, eq(formats.id, proposals.formatId))
    .where(eq(speakers.userId, accountId))
    .orderBy(desc(proposals.createdAt), desc(proposals.id))
    .all()
    .map(({ titleEn, titleFr, ...row }) => ({ ...row, title: { en: titleEn, fr: titleFr }, state: speakerState(row) }));
}

/** One of the account's proposals as its speaker sees it; undefined when it is not theirs. */
export function proposalForSpeaker(
  db: DbOrTx,
  edition: Pick<Edition, "cfp" | "timezone">,
  account: { id: number; email: string },
  code: string,
  now: number = Date.now(),
): SpeakerProposalView | undefined {
  const proposal = ownProposal(db, account.id, code);
  if (!proposal) return undefined;
  const format = db.select({ id: formats.id, slug: formats.slug }).from(formats).where(eq(formats.id, proposal.formatId)).get()!;
  const track = proposal.trackId ? db.select({ slug: tracks.slug }).from(tracks).where(eq(tracks.id, proposal.trackId)).get() : undefined;
  const people = db
    .select({ name: speakers.name, userId: speakers.userId })
    .from(proposalSpeakers)
    .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
    .where(eq(proposalSpeakers.proposalId, proposal.id))
    .orderBy(asc(proposalSpeakers.position))
    .all();
  const invitations = db
    .select({
      id: proposalInvitations.id,
      email: proposalInvitations.email,
      state: proposalInvitations.state,
      sentAt: proposalInvitations.sentAt,
    })
    .from(proposalInvitations)
    .where(and(eq(proposalInvitations.proposalId, proposal.id), inArray(proposalInvitations.state, ["pending", "accepted", "declined"])))
    .orderBy(asc(proposalInvitations.id))
    .all();
  const messages = db
    .select({ body: proposalMessages.body, at: proposalMessages.createdAt })
    .from(proposalMessages)
    .where(eq(proposalMessages.proposalId, proposal.id))
    .orderBy(asc(proposalMessages.createdAt), asc(proposalMessages.id))
    .all();
  const writable = mayWrite(db, edition, account.email, format, now);
  const state = speakerState(proposal);
  return {
    code: proposal.code,
    title: { en: proposal.titleEn, fr: proposal.titleFr },
    state,
    format: format.slug,
    updatedAt: proposal.updatedAt,
    abstract: { en: proposal.abstractEn, fr: proposal.abstractFr },
    description: { en: proposal.descriptionEn, fr: proposal.descriptionFr },
    track: track?.slug ?? "",
    language: proposal.language,
    audience: proposal.audience,
    tlp: proposal.tlp,
    notes: proposal.notes,
    version: proposal.version,
    submittedAt: proposal.submittedAt,
    speakers: people.map((p) => ({ name: p.name, you: p.userId === account.id })),
    invitations,
    messages,
    call: callStatus(edition, format.slug, now),
    can: {
      edit: !!writable && EDITABLE_STATES.includes(state),
      submit: !!writable && state === "draft",
      withdraw: WITHDRAWABLE_STATES.includes(state),
      invite: INVITABLE_STATES.includes(state),
    },
    late: writable === "late",
    sessionId: proposal.sessionId,
  };
}

/** When and where a session takes place. */
export interface SessionSlot {
  slug: string;
  startsAt: Date;
  endsAt: Date;
  /** Null: the session spans every room. */
  room: string | null;
}

/** The slot of session `sessionId` in `programme` (the published one), once it is placed there. */
export function sessionSlot(programme: Pick<Programme, "sessions">, sessionId: number | null): SessionSlot | null {
  const session = sessionId === null ? undefined : programme.sessions.find((s) => s.id === sessionId);
  if (!session || !isListed(session)) return null;
  return { slug: session.slug, startsAt: session.startsAt!, endsAt: session.endsAt!, room: session.room?.name ?? null };
}
