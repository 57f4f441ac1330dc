import { and, eq, max } from "drizzle-orm";
import { proposalInvitations, proposals, proposalSpeakers, type ProposalState } from "../../../db/schema/cfp.ts";
import { recordAudit } from "../audit.ts";
import { findUserByEmail, normalizeEmail, type DbOrTx } from "../auth/users.ts";
import { enqueue } from "../email/outbox.ts";
import { randomNonce } from "../security/secrets.ts";
import { INVITATION_DAYS, invitationToken, isTokenShaped, tokenHash } from "./links.ts";
import { profileOf, type Account } from "./profile.ts";
import { anyText } from "../programme/texts.ts";
import { ownProposal, proposalTitle, speakersOf, tellSpeakers, type CfpDeps, type CfpResult, type Proposal } from "./proposals.ts";

/**
 * Co-speakers. A speaker invites an address; the e-mail carries a one-time link (only its hash is
 * stored). Resending makes a new link and kills the old one; withdrawing kills it. Whoever opens the
 * link and is signed in may accept, with any account: the link went only to the invited address,
 * and people often sign in with another address than the one their colleague knows. The accepting
 * account's profile joins the proposal, and the other speakers are told. Declining needs only the
 * link; the inviter is told.
 */

export type Invitation = typeof proposalInvitations.$inferSelect;

export { INVITATION_DAYS } from "./links.ts";
/** Pending invitations a proposal may have at once. */
export const MAX_PENDING_INVITATIONS = 10;
/**
 * States of a proposal in which co-speakers can still be invited or join. Not once confirmed: the
 * session's speakers were copied then, and from there the organizers change them in the editor.
 */
export const INVITABLE_STATES: readonly ProposalState[] = ["draft", "submitted", "accepted"];

const refuse = (reason: Extract<CfpResult, { ok: false }>["reason"]) => ({ ok: false as const, reason });

/** Queues the invitation e-mail for a fresh nonce; returns the token's hash to store. */
function mailInvitation(
  deps: CfpDeps,
  tx: DbOrTx,
  account: Account,
  proposal: Pick<Proposal, "titleEn" | "titleFr">,
  email: string,
  now: number,
): string {
  const nonce = randomNonce();
  const inviter = profileOf(tx, account);
  const language = findUserByEmail(tx, email)?.language ?? inviter.language;
  enqueue(
    tx,
    {
      template: "cfp.invitation",
      language,
      recipient: email,
      payload: { inviter: inviter.name || account.email, title: anyText(proposalTitle(proposal), language), nonce },
    },
    now,
  );
  return tokenHash(invitationToken(deps.appKey, nonce));
}

/** Invites `email` to speak on the proposal `code`. */
export function invite(deps: CfpDeps, account: Account, code: string, email: string, now: number = Date.now()): CfpResult {
  const address = normalizeEmail(email);
  return deps.db.transaction(
    (tx) => {
      const proposal = ownProposal(tx, account.id, code);
      if (!proposal) return refuse("notFound");
      if (!INVITABLE_STATES.includes(proposal.state)) return refuse("invalidState");
      if (speakersOf(tx, proposal.id).some((s) => s.email === address)) return refuse("alreadySpeaker");
      const pending = tx
        .select()
        .from(proposalInvitations)
        .where(and(eq(proposalInvitations.proposalId, proposal.id), eq(proposalInvitations.state, "pending")))
        .all();
      if (pending.some((i) => i.email === address)) return refuse("alreadyInvited");
      if (pending.length >= MAX_PENDING_INVITATIONS) return refuse("tooManyInvitations");
      const hash = mailInvitation(deps, tx, account, proposal, address, now);
      const { id } = tx
        .insert(proposalInvitations)
        .values({
          proposalId: proposal.id,
          email: address,
          tokenHash: hash,
          state: "pending",
          invitedBy: account.id,
          sentAt: new Date(now),
          createdAt: new Date(now),
        })
        .returning({ id: proposalInvitations.id })
        .get();
      recordAudit(
        tx,
        {
          actor: account,
          action: "cfp.invitation_sent",
          subjectType: "proposal",
          subjectId: code,
          after: { invitation: id, email: address },
        },
        now,
      );
      return { ok: true as const };
    },
    { behavior: "immediate" },
  );
}

/** A pending invitation of one of the account's proposals. */
function ownPendingInvitation(tx: DbOrTx, account: Account, code: string, invitationId: number) {
  const proposal = ownProposal(tx, account.id, code);
  if (!proposal) return refuse("notFound");
  const invitation = tx
    .select()
    .from(proposalInvitations)
    .where(and(eq(proposalInvitations.id, invitationId), eq(proposalInvitations.proposalId, proposal.id)))
    .get();
  if (!invitation) return refuse("notFound");
  if (invitation.state !== "pending") return refuse("invalidState");
  return { ok: true as const, proposal, invitation };
}

/** Sends the invitation again with a new link; the old link stops working. */
export function resendInvitation(deps: CfpDeps, account: Account, code: string, invitationId: number, now: number = Date.now()): CfpResult {
  return deps.db.transaction(
    (tx) => {
      const found = ownPendingInvitation(tx, account, code, invitationId);
      if (!found.ok) return found;
      if (!INVITABLE_STATES.includes(found.proposal.state)) return refuse("invalidState");
      const hash = mailInvitation(deps, tx, account, found.proposal, found.invitation.email, now);
      tx.update(proposalInvitations)
        .set({ tokenHash: hash, sentAt: new Date(now) })
        .where(eq(proposalInvitations.id, invitationId))
        .run();
      recordAudit(
        tx,
        { actor: account, action: "cfp.invitation_resent", subjectType: "proposal", subjectId: code, after: { invitation: invitationId } },
        now,
      );
      return { ok: true as const };
    },
    { behavior: "immediate" },
  );
}

/** Withdraws a pending invitation; its link stops working. */
export function withdrawInvitation(
  deps: CfpDeps,
  account: Account,
  code: string,
  invitationId: number,
  now: number = Date.now(),
): CfpResult {
  return deps.db.transaction(
    (tx) => {
      const found = ownPendingInvitation(tx, account, code, invitationId);
      if (!found.ok) return found;
      tx.update(proposalInvitations)
        .set({ state: "withdrawn", respondedAt: new Date(now) })
        .where(eq(proposalInvitations.id, invitationId))
        .run();
      recordAudit(
        tx,
        {
          actor: account,
          action: "cfp.invitation_withdrawn",
          subjectType: "proposal",
          subjectId: code,
          after: { invitation: invitationId },
        },
        now,
      );
      return { ok: true as const };
    },
    { behavior: "immediate" },
  );
}

/** What the invitation page shows: the pending, unexpired invitation behind a token, with its proposal's title and inviter. */
export function invitationByToken(db: DbOrTx, token: string, now: number = Date.now()) {
  if (!isTokenShaped(token)) return undefined;
  const row = db
    .select({
      invitation: proposalInvitations,
      titleEn: proposals.titleEn,
      titleFr: proposals.titleFr,
      code: proposals.code,
      state: proposals.state,
    })
    .from(proposalInvitations)
    .innerJoin(proposals, eq(proposals.id, proposalInvitations.proposalId))
    .where(eq(proposalInvitations.tokenHash, tokenHash(token)))
    .get();
  if (!row || row.invitation.state !== "pending" || !INVITABLE_STATES.includes(row.state)) return undefined;
  if (row.invitation.sentAt.getTime() + INVITATION_DAYS * 86_400_000 <= now) return undefined;
  const inviter = speakersOf(db, row.invitation.proposalId).find((s) => s.userId === row.invitation.invitedBy);
  return { id: row.invitation.id, email: row.invitation.email, title: proposalTitle(row), code: row.code, inviter: inviter?.name || "" };
}

/**
 * Accepts an invitation: the account's profile joins the proposal's speakers, and the other speakers
 * are told (by the joiner's name, or the invited address while the profile has none). Returns the
 * proposal's code.
 */
export function acceptInvitation(deps: CfpDeps, account: Account, token: string, now: number = Date.now()): CfpResult<{ code: string }> {
  return deps.db.transaction(
    (tx) => {
      const found = invitationByToken(tx, token, now);
      if (!found) return refuse("unknownLink");
      const speaker = profileOf(tx, account);
      const proposalId = tx
        .select({ id: proposalInvitations.proposalId })
        .from(proposalInvitations)
        .where(eq(proposalInvitations.id, found.id))
        .get()!.id;
      if (speakersOf(tx, proposalId).some((s) => s.id === speaker.id)) return refuse("alreadySpeaker");
      const last = tx
        .select({ n: max(proposalSpeakers.position) })
        .from(proposalSpeakers)
        .where(eq(proposalSpeakers.proposalId, proposalId))
        .get();
      tx.insert(proposalSpeakers)
        .values({ proposalId, speakerId: speaker.id, position: (last?.n ?? 0) + 1 })
        .run();
      tx.update(proposalInvitations)
        .set({ state: "accepted", respondedAt: new Date(now) })
        .where(eq(proposalInvitations.id, found.id))
        .run();
      tellSpeakers(
        tx,
        speakersOf(tx, proposalId).filter((s) => s.id !== speaker.id),
        "cfp.speaker_joined",
        (s) => ({ name: s.name, title: anyText(found.title, s.language), code: found.code, speaker: speaker.name || found.email }),
        now,
      );
      tx.update(proposals)
        .set({ updatedAt: new Date(now) })
        .where(eq(proposals.id, proposalId))
        .run();
      recordAudit(
        tx,
        {
          actor: account,
          action: "cfp.invitation_accepted",
          subjectType: "proposal",
          subjectId: found.code,
          after: { invitation: found.id, speaker: speaker.id },
        },
        now,
      );
      return { ok: true as const, code: found.code };
    },
    { behavior: "immediate" },
  );
}

/**
 * Declines an invitation (the link is enough; `account` is recorded when someone is signed in). The
 * inviter is told, if still a speaker of the proposal.
 */
export function declineInvitation(deps: CfpDeps, account: Account | null, token: string, now: number = Date.now()): CfpResult {
  return deps.db.transaction(
    (tx) => {
      const found = invitationByToken(tx, token, now);
      if (!found) return refuse("unknownLink");
      const invitation = tx
        .update(proposalInvitations)
        .set({ state: "declined", respondedAt: new Date(now) })
        .where(eq(proposalInvitations.id, found.id))
        .returning({ proposalId: proposalInvitations.proposalId, invitedBy: proposalInvitations.invitedBy })
        .get()!;
      const inviter = speakersOf(tx, invitation.proposalId).filter((s) => s.userId === invitation.invitedBy);
      tellSpeakers(
        tx,
        inviter,
        "cfp.invitation_declined",
        (s) => ({ name: s.name, title: anyText(found.title, s.language), code: found.code, invitee: found.email }),
        now,
      );
      // Declining needs only the link: without an account, the audit names the invited address.
      recordAudit(
        tx,
        {
          actor: account ?? { id: null, email: found.email },
          action: "cfp.invitation_declined",
          subjectType: "proposal",
          subjectId: found.code,
          after: { invitation: found.id },
        },
        now,
      );
      return { ok: true as const };
    },
    { behavior: "immediate" },
  );
}
