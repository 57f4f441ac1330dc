import { requirePermission } from "./guard.ts";
import { ActionError, defineAction, type ActionAPIContext } from "astro:actions";
import { z } from "zod";
import { localeOfPath } from "../i18n/index.ts";
import { profileSchema, proposalSchema, proposalUpdateSchema } from "../lib/cfp/form.ts";
import { code, email, id, token, trimmed, version } from "../lib/fields.ts";
import { acceptInvitation, declineInvitation, invite, resendInvitation, withdrawInvitation } from "../lib/cfp/invitations.ts";
import { grantLateSubmission, MAX_LATE_DAYS } from "../lib/cfp/late.ts";
import type { Account } from "../lib/cfp/profile.ts";
import { setProfilePhoto, updateProfile } from "../lib/cfp/profile.ts";
import { processPhoto } from "../lib/programme/photos.ts";
import {
  createDraft,
  submitProposal,
  updateProposal,
  withdrawProposal,
  type CfpDeps,
  type CfpResult,
  type Refusal,
} from "../lib/cfp/proposals.ts";
import { nudgeWorker } from "../lib/email/outbox.ts";
import { answerAcceptance } from "../lib/review/confirm.ts";
import { clientKey, type RateLimiter } from "../lib/security/rate-limit.ts";
import { clientAddressOf } from "../web/edge.ts";
import { getAppKey, getDb, getEdition, rateLimits } from "../web/runtime.ts";

/**
 * The speakers' forms of the call for papers (and the organizers' late-submission link). Each needs
 * a signed-in account (UNAUTHORIZED otherwise: the page sends to sign in); a proposal that is not
 * the account's is NOT_FOUND, exactly like one that does not exist. Error messages are `cfp:...`
 * keys the pages translate.
 */

const deps = (): CfpDeps => ({ db: getDb(), edition: getEdition(), appKey: getAppKey() });

/** The signed-in account, in the language of the page it acts from. */
function accountOf(context: ActionAPIContext): Account {
  const principal = context.locals.principal;
  if (!principal) throw new ActionError({ code: "UNAUTHORIZED", message: "cfp:signIn" });
  return { id: principal.user.id, email: principal.user.email, language: localeOfPath(context.url.pathname) };
}

const STATUS: Record<Refusal, ActionError["code"]> = {
  notFound: "NOT_FOUND",
  unknownLink: "NOT_FOUND",
  closed: "FORBIDDEN",
  conflict: "CONFLICT",
  invalidState: "CONFLICT",
  alreadyInvited: "CONFLICT",
  alreadySpeaker: "CONFLICT",
  unknownFormat: "BAD_REQUEST",
  unknownTrack: "BAD_REQUEST",
  abstractRequired: "BAD_REQUEST",
  profileIncomplete: "BAD_REQUEST",
  tooManyInvitations: "BAD_REQUEST",
};

/** The result's data, or the refusal as an ActionError; e-mails queued by the change are nudged out. */
function done<T extends object>(result: CfpResult<T>): T {
  if (!result.ok) throw new ActionError({ code: STATUS[result.reason], message: `cfp:${result.reason}` });
  nudgeWorker();
  const { ok: _ok, ...data } = result;
  return data as unknown as T;
}

function limit(limiter: RateLimiter, key: string): void {
  const hit = limiter.hit(key);
  if (!hit.allowed) throw new ActionError({ code: "TOO_MANY_REQUESTS", message: `retryAfter:${hit.retryAfterSeconds}` });
}

export const cfp = {
  cfpSaveProfile: defineAction({
    accept: "form",
    input: profileSchema(getEdition()),
    handler: (input, context) => {
      const account = accountOf(context);
      updateProfile(getDb(), getEdition(), account, input);
      return { saved: true };
    },
  }),

  /**
   * The profile photo (multipart form). Its body limit is raised for signed-in accounts in
   * src/web/action-body-limit.ts; the image is decoded only for a signed-in account.
   */
  cfpProfilePhoto: defineAction({
    accept: "form",
    input: z.object({ photo: z.instanceof(File, { message: "cfp:photo_required" }) }),
    handler: async ({ photo }, context) => {
      const account = accountOf(context);
      limit(rateLimits().cfpWriteByAccount, `${account.id}`);
      const processed = await processPhoto(new Uint8Array(await photo.arrayBuffer()));
      if (!processed.ok) throw new ActionError({ code: "BAD_REQUEST", message: `cfp:${processed.error}` });
      return { photo: setProfilePhoto(getDb(), account, processed.photo) };
    },
  }),

  cfpProfilePhotoRemove: defineAction({
    accept: "form",
    input: z.object({}),
    handler: (_input, context) => {
      const account = accountOf(context);
      return { photo: setProfilePhoto(getDb(), account, null) };
    },
  }),

  cfpCreateProposal: defineAction({
    accept: "form",
    input: proposalSchema(getEdition()),
    handler: (input, context) => {
      const account = accountOf(context);
      limit(rateLimits().cfpWriteByAccount, `${account.id}`);
      return done(createDraft(deps(), account, input));
    },
  }),

  cfpUpdateProposal: defineAction({
    accept: "form",
    input: proposalUpdateSchema(getEdition()),
    handler: ({ code, version, ...input }, context) => {
      const account = accountOf(context);
      limit(rateLimits().cfpWriteByAccount, `${account.id}`);
      return { code, ...done(updateProposal(deps(), account, code, version, input)) };
    },
  }),

  cfpSubmitProposal: defineAction({
    accept: "form",
    input: z.object({ code: code(), version: version }),
    handler: ({ code, version }, context) => {
      const account = accountOf(context);
      return { code, ...done(submitProposal(deps(), account, code, version)) };
    },
  }),

  cfpWithdrawProposal: defineAction({
    accept: "form",
    input: z.object({ code: code() }),
    handler: ({ code }, context) => {
      const account = accountOf(context);
      return { code, ...done(withdrawProposal(deps(), account, code)) };
    },
  }),

  /** A speaker of an accepted proposal confirms or declines it from its page (the e-mail's link does the same). */
  cfpAnswerAcceptance: defineAction({
    accept: "form",
    input: z.object({ code: code(), answer: z.enum(["confirm", "decline"], "invalid") }),
    handler: ({ code, answer }, context) => {
      const account = accountOf(context);
      return { code, ...done(answerAcceptance(getDb(), account, code, answer)) };
    },
  }),

  cfpInvite: defineAction({
    accept: "form",
    input: z.object({ code: code(), email: email() }),
    handler: ({ code, email }, context) => {
      const account = accountOf(context);
      limit(rateLimits().cfpInviteByAccount, `${account.id}`);
      limit(rateLimits().cfpInviteByIp, clientKey(clientAddressOf(context)));
      return { code, ...done(invite(deps(), account, code, email)) };
    },
  }),

  cfpResendInvitation: defineAction({
    accept: "form",
    input: z.object({ code: code(), invitation: id }),
    handler: ({ code, invitation }, context) => {
      const account = accountOf(context);
      limit(rateLimits().cfpInviteByAccount, `${account.id}`);
      limit(rateLimits().cfpInviteByIp, clientKey(clientAddressOf(context)));
      return { code, ...done(resendInvitation(deps(), account, code, invitation)) };
    },
  }),

  cfpWithdrawInvitation: defineAction({
    accept: "form",
    input: z.object({ code: code(), invitation: id }),
    handler: ({ code, invitation }, context) => {
      const account = accountOf(context);
      return { code, ...done(withdrawInvitation(deps(), account, code, invitation)) };
    },
  }),

  cfpAcceptInvitation: defineAction({
    accept: "form",
    input: z.object({ token: token }),
    handler: ({ token }, context) => {
      const account = accountOf(context);
      return done(acceptInvitation(deps(), account, token));
    },
  }),

  cfpDeclineInvitation: defineAction({
    accept: "form",
    input: z.object({ token: token }),
    handler: ({ token }, context) => {
      const principal = context.locals.principal;
      return done(declineInvitation(deps(), principal ? { id: principal.user.id, email: principal.user.email } : null, token));
    },
  }),

  /** Organizers (cfp.manage): a late-submission link for one address, N days, one format or any. */
  cfpGrantLate: defineAction({
    accept: "form",
    input: z.object({
      email: email(),
      days: z.preprocess(
        (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v === "" || v === null ? undefined : v),
        z.number("cfp:invalidDays").int("cfp:invalidDays").min(1, "cfp:invalidDays").max(MAX_LATE_DAYS, "cfp:invalidDays"),
      ),
      format: trimmed(100),
      language: z.enum(["en", "fr"], "invalidLanguage"),
    }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      const result = grantLateSubmission(getDb(), getAppKey(), principal.user, { ...input, format: input.format || null });
      if (!result.ok) throw new ActionError({ code: "BAD_REQUEST", message: `cfp:${result.reason}` });
      nudgeWorker();
      return { email: input.email, expiresAt: result.expiresAt.toISOString() };
    },
  }),
};
