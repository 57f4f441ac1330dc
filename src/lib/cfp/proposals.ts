import { randomInt } from "node:crypto";
import { emitWebhook } from "../webhooks/events.ts";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { users } from "../../../db/schema/auth.ts";
import { cfpTokens, proposals, proposalSpeakers, type ProposalState } from "../../../db/schema/cfp.ts";
import { formats, speakers, tracks } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import type { DbOrTx } from "../auth/users.ts";
import type { Edition } from "../config/edition.ts";
import { enqueue, type DbLike } from "../email/outbox.ts";
import type { TemplateName, TemplatePayload } from "../email/payloads.ts";
import { callStatus } from "./call.ts";
import type { ProposalInput } from "./form.ts";
import { lateGrantFor } from "./late.ts";
import { frenchSpacing } from "../typography.ts";
import { anyText, type Localized } from "../programme/texts.ts";
import { profileOf, type Account } from "./profile.ts";

/**
 * A speaker's proposals and their lifecycle, as in pretalx:
 *
 *   draft --submit--> submitted --(committee, released)--> accepted | rejected
 *   draft | submitted --withdraw--> withdrawn
 *   accepted --(speaker, by the confirmation link)--> confirmed | declined
 *
 * Speakers create, edit and submit while the call is open for the proposal's format (or with a
 * late-submission link), and edit only drafts and submitted proposals. They may withdraw before a
 * decision reaches them; once accepted they decline instead (the review side's confirmation page),
 * so a withdrawal never races a released decision. A decision taken but not released
 * (`pending_state`) is dropped by a withdrawal. Only the proposal's speakers see or change it:
 * anyone else gets "notFound", as for a code that does not exist.
 */

export type Proposal = typeof proposals.$inferSelect;

/** What the speaker functions need. */
export interface CfpDeps {
  db: Db;
  edition: Pick<Edition, "cfp" | "timezone">;
  appKey: Buffer;
}

/** Why a change was refused; each is an i18n key (`cfp.errors`). */
export type Refusal =
  | "notFound"
  | "closed"
  | "conflict"
  | "invalidState"
  | "unknownFormat"
  | "unknownTrack"
  | "abstractRequired"
  | "profileIncomplete"
  | "alreadyInvited"
  | "alreadySpeaker"
  | "tooManyInvitations"
  | "unknownLink";

export type CfpResult<T extends object = object> = ({ ok: true } & T) | { ok: false; reason: Refusal };

const refuse = (reason: Refusal) => ({ ok: false as const, reason });

/** States in which the speakers may still edit. */
export const EDITABLE_STATES: readonly ProposalState[] = ["draft", "submitted"];
/** States from which the speakers may withdraw (before any decision reaches them). */
export const WITHDRAWABLE_STATES: readonly ProposalState[] = ["draft", "submitted"];

const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A fresh public code: 8 characters without look-alikes. */
function freshCode(db: DbOrTx): string {
  for (;;) {
    const code = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
    if (!db.select({ id: proposals.id }).from(proposals).where(eq(proposals.code, code)).get()) return code;
  }
}

/** The proposal `code` if `accountId` is one of its speakers; undefined otherwise (also when it does not exist). */
export function ownProposal(db: DbOrTx, accountId: number, code: string): Proposal | undefined {
  const row = db
    .select({ proposal: proposals })
    .from(proposals)
    .innerJoin(proposalSpeakers, eq(proposalSpeakers.proposalId, proposals.id))
    .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
    .where(and(eq(proposals.code, code), eq(speakers.userId, accountId)))
    .get();
  return row?.proposal;
}

/**
 * Whether `email` may write proposals of `format` at `now`: the call is open for it, or the address
 * holds a valid late-submission link for it (or for any format).
 */
export function mayWrite(
  db: DbOrTx,
  edition: Pick<Edition, "cfp" | "timezone">,
  email: string,
  format: { id: number; slug: string },
  now: number,
): "open" | "late" | false {
  const status = callStatus(edition, format.slug, now);
  if (status?.state === "open") return "open";
  // A late link opens the call to its holder, but only for the formats the call offers.
  if (status && lateGrantFor(db, email, format.id, now)) return "late";
  return false;
}

/** The format and track rows the input names, or the refusal. */
function resolve(db: DbOrTx, input: Pick<ProposalInput, "format" | "track">) {
  const format = db.select({ id: formats.id, slug: formats.slug }).from(formats).where(eq(formats.slug, input.format)).get();
  if (!format) return refuse("unknownFormat");
  let trackId: number | null = null;
  if (input.track) {
    const track = db.select({ id: tracks.id }).from(tracks).where(eq(tracks.slug, input.track)).get();
    if (!track) return refuse("unknownTrack");
    trackId = track.id;
  }
  return { ok: true as const, format, trackId };
}

/** A proposal's title in both languages. */
export const proposalTitle = (p: Pick<Proposal, "titleEn" | "titleFr">): Localized => ({ en: p.titleEn, fr: p.titleFr });

const fieldsOf = (input: ProposalInput, formatId: number, trackId: number | null) => ({
  titleEn: input.titleEn,
  titleFr: frenchSpacing(input.titleFr),
  abstractEn: input.abstractEn,
  abstractFr: frenchSpacing(input.abstractFr),
  descriptionEn: input.descriptionEn,
  descriptionFr: frenchSpacing(input.descriptionFr),
  formatId,
  trackId,
  language: input.language,
  audience: input.audience,
  tlp: input.tlp,
  notes: input.notes,
});

/** Creates a draft whose first speaker is the account's profile. */
export function createDraft(deps: CfpDeps, account: Account, input: ProposalInput, now: number = Date.now()): CfpResult<{ code: string }> {
  return deps.db.transaction(
    (tx) => {
      const resolved = resolve(tx, input);
      if (!resolved.ok) return resolved;
      if (!mayWrite(tx, deps.edition, account.email, resolved.format, now)) return refuse("closed");
      const speaker = profileOf(tx, account);
      const code = freshCode(tx);
      const { id } = tx
        .insert(proposals)
        .values({
          code,
          ...fieldsOf(input, resolved.format.id, resolved.trackId),
          state: "draft",
          createdBy: account.id,
          createdAt: new Date(now),
          updatedAt: new Date(now),
        })
        .returning({ id: proposals.id })
        .get();
      tx.insert(proposalSpeakers).values({ proposalId: id, speakerId: speaker.id, position: 0 }).run();
      recordAudit(tx, { actor: account, action: "cfp.proposal_created", subjectType: "proposal", subjectId: code }, now);
      return { ok: true as const, code };
    },
    { behavior: "immediate" },
  );
}

/** Saves the form over the proposal, if `version` is still the stored one. */
export function updateProposal(
  deps: CfpDeps,
  account: Account,
  code: string,
  version: number,
  input: ProposalInput,
  now: number = Date.now(),
): CfpResult<{ version: number }> {
  return deps.db.transaction(
    (tx) => {
      const proposal = ownProposal(tx, account.id, code);
      if (!proposal) return refuse("notFound");
      if (!EDITABLE_STATES.includes(proposal.state)) return refuse("invalidState");
      const resolved = resolve(tx, input);
      if (!resolved.ok) return resolved;
      if (!mayWrite(tx, deps.edition, account.email, resolved.format, now)) return refuse("closed");
      if (proposal.version !== version) return refuse("conflict");
      const fields = fieldsOf(input, resolved.format.id, resolved.trackId);
      const changed = Object.entries(fields)
        .filter(([key, value]) => proposal[key as keyof typeof fields] !== value)
        .map(([key]) => key);
      tx.update(proposals)
        .set({ ...fields, version: proposal.version + 1, updatedAt: new Date(now) })
        .where(and(eq(proposals.id, proposal.id), eq(proposals.version, version)))
        .run();
      recordAudit(
        tx,
        { actor: account, action: "cfp.proposal_updated", subjectType: "proposal", subjectId: code, after: { changed } },
        now,
      );
      return { ok: true as const, version: proposal.version + 1 };
    },
    { behavior: "immediate" },
  );
}

/** The speakers of a proposal with the address and language their e-mails go to. */
export function speakersOf(db: Pick<Db, "select">, proposalId: number) {
  return db
    .select({
      id: speakers.id,
      name: speakers.name,
      affiliation: speakers.affiliation,
      country: speakers.country,
      bioEn: speakers.bioEn,
      bioFr: speakers.bioFr,
      language: speakers.language,
      userId: speakers.userId,
      // The address the speaker signs in with (and so proved) first; the profile's otherwise.
      email: sql<string | null>`coalesce(${users.email}, ${speakers.email})`,
    })
    .from(proposalSpeakers)
    .innerJoin(speakers, eq(speakers.id, proposalSpeakers.speakerId))
    .leftJoin(users, eq(users.id, speakers.userId))
    .where(eq(proposalSpeakers.proposalId, proposalId))
    .orderBy(asc(proposalSpeakers.position), asc(speakers.id))
    .all();
}

/** A speaker to write to, as `speakersOf` gives them. */
export type Addressee = Pick<ReturnType<typeof speakersOf>[number], "id" | "name" | "language" | "email">;

/**
 * Queues `template` to each of `people` who has an address, in that speaker's language, once per
 * address, with the payload `payloadOf` gives them. Call it inside the transaction of the change.
 */
export function tellSpeakers<T extends TemplateName>(
  tx: DbLike,
  people: readonly Addressee[],
  template: T,
  payloadOf: (person: Addressee) => TemplatePayload<T>,
  now: number,
): void {
  const told = new Set<string>();
  for (const person of people) {
    if (!person.email || told.has(person.email)) continue;
    told.add(person.email);
    enqueue(tx, { template, language: person.language, recipient: person.email, payload: payloadOf(person) }, now);
  }
}

/**
 * Submits a draft: title, abstract and format are required and the submitter's profile needs a
 * name. Each speaker gets the acknowledgement in their language, from the same transaction.
 */
export function submitProposal(deps: CfpDeps, account: Account, code: string, version: number, now: number = Date.now()): CfpResult {
  return deps.db.transaction(
    (tx) => {
      const proposal = ownProposal(tx, account.id, code);
      if (!proposal) return refuse("notFound");
      if (proposal.state !== "draft") return refuse("invalidState");
      const format = tx.select({ id: formats.id, slug: formats.slug }).from(formats).where(eq(formats.id, proposal.formatId)).get()!;
      const how = mayWrite(tx, deps.edition, account.email, format, now);
      if (!how) return refuse("closed");
      if (proposal.version !== version) return refuse("conflict");
      if (!proposal.abstractEn.trim() && !proposal.abstractFr.trim()) return refuse("abstractRequired");
      if (!profileOf(tx, account).name.trim()) return refuse("profileIncomplete");
      tx.update(proposals)
        .set({ state: "submitted", submittedAt: new Date(now), version: proposal.version + 1, updatedAt: new Date(now) })
        .where(eq(proposals.id, proposal.id))
        .run();
      if (how === "late") {
        const grant = lateGrantFor(tx, account.email, format.id, now)!;
        if (!grant.usedAt)
          tx.update(cfpTokens)
            .set({ usedAt: new Date(now) })
            .where(eq(cfpTokens.tokenHash, grant.tokenHash))
            .run();
      }
      tellSpeakers(
        tx,
        speakersOf(tx, proposal.id),
        "cfp.submitted",
        (s) => ({ name: s.name, title: anyText(proposalTitle(proposal), s.language), code }),
        now,
      );
      emitWebhook(tx, "proposal.submitted", { proposal: code, state: "submitted" }, now);
      recordAudit(
        tx,
        {
          actor: account,
          action: "cfp.proposal_submitted",
          subjectType: "proposal",
          subjectId: code,
          after: { state: "submitted", late: how === "late" },
        },
        now,
      );
      return { ok: true as const };
    },
    { behavior: "immediate" },
  );
}

/**
 * Withdraws a draft or submitted proposal (any pending decision with it). Every speaker is told,
 * the one who withdrew it by a receipt, the others with the withdrawer's name.
 */
export function withdrawProposal(deps: CfpDeps, account: Account, code: string, now: number = Date.now()): CfpResult {
  return deps.db.transaction(
    (tx) => {
      const proposal = ownProposal(tx, account.id, code);
      if (!proposal) return refuse("notFound");
      if (!WITHDRAWABLE_STATES.includes(proposal.state)) return refuse("invalidState");
      tx.update(proposals)
        .set({ state: "withdrawn", pendingState: null, version: proposal.version + 1, updatedAt: new Date(now) })
        .where(eq(proposals.id, proposal.id))
        .run();
      const withdrawer = profileOf(tx, account);
      tellSpeakers(
        tx,
        speakersOf(tx, proposal.id),
        "cfp.withdrawn",
        (s) => ({
          name: s.name,
          title: anyText(proposalTitle(proposal), s.language),
          code,
          by: s.id === withdrawer.id ? "" : withdrawer.name || account.email,
        }),
        now,
      );
      recordAudit(
        tx,
        {
          actor: account,
          action: "cfp.proposal_withdrawn",
          subjectType: "proposal",
          subjectId: code,
          // A decision taken but not released goes with the withdrawal: keep it in the record.
          before: { state: proposal.state, pendingState: proposal.pendingState },
          after: { state: "withdrawn", pendingState: null },
        },
        now,
      );
      return { ok: true as const };
    },
    { behavior: "immediate" },
  );
}
