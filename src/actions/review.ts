import { ActionError, defineAction } from "astro:actions";
import { actorOf, requirePermission } from "./guard.ts";
import { z } from "zod";
import { checkbox, code as codeField, id, optionalId, text, token, trimmed } from "../lib/fields.ts";
import { PENDING_DECISIONS } from "../../db/schema/cfp.ts";
import { cancelHeldMessage, sendHeldMessages } from "../lib/email/admin.ts";
import { nudgeWorker } from "../lib/email/outbox.ts";
import {
  assignReviewer,
  criterionShape,
  deleteCriterion,
  listCriteria,
  saveCriterion,
  saveSettings,
  scaleOrder,
} from "../lib/review/committee.ts";
import { answerConfirmation } from "../lib/review/confirm.ts";
import { MAX_MESSAGE, MAX_REASON, messageSpeakers, releaseDecisions, setPendingDecisions } from "../lib/review/decisions.ts";
import { badScores, MAX_COMMENT, reviewerOf, submitReview } from "../lib/review/reviewing.ts";
import { removeAssignment } from "../lib/review/committee.ts";
import { getAppKey, getDb } from "../web/runtime.ts";

/**
 * The committee's forms: criteria, settings and assignments (`cfp.manage`), reviews
 * (`proposals.review`), decisions and their release (`cfp.manage`), held decision e-mails
 * (`mail.send`), and the accepted speaker's answer (by the link's token alone). Refusals are
 * `review:<name>` keys the pages translate.
 */

const refuse = (code: ActionError["code"], name: string): never => {
  throw new ActionError({ code, message: `review:${name}` });
};

const code = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toUpperCase() : ""),
  z
    .string()
    .min(1, "required")
    .max(20, "invalid")
    .regex(/^[A-Z0-9]+$/, "invalid"),
);
const uuid = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase() : ""),
  z.string().regex(/^(all|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, "invalid"),
);

/** The review form: `score-<criterion id>` radio groups, checked against the criteria of the moment. */
const reviewInput = z
  .object({ code, abstain: checkbox, comment: text(MAX_COMMENT, { multiline: true }) })
  .catchall(z.unknown())
  .superRefine((value, ctx) => {
    if (value.abstain) return;
    const criteria = listCriteria(getDb());
    const scores = scoresOf(value);
    for (const criterionId of badScores(criteria, scores))
      ctx.addIssue({
        code: "custom",
        path: [`score-${criterionId}`],
        message: scores[criterionId] === undefined ? "review:scoreRequired" : "review:scoreRange",
      });
  });

/** The scores of a review form, by criterion id. */
function scoresOf(form: Record<string, unknown>): Record<number, number | undefined> {
  const scores: Record<number, number | undefined> = {};
  for (const [key, value] of Object.entries(form)) {
    const match = /^score-(\d+)$/.exec(key);
    if (match && typeof value === "string" && value.trim() !== "") scores[Number(match[1])] = Number(value);
  }
  return scores;
}

export const review = {
  reviewCriterionSave: defineAction({
    accept: "form",
    input: z.object({ ...criterionShape, id: optionalId }).superRefine(scaleOrder),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      const result = saveCriterion(getDb(), actorOf(principal), input);
      if (!result.ok) refuse("NOT_FOUND", "notFound");
      return { done: "criterion" as const };
    },
  }),

  reviewCriterionDelete: defineAction({
    accept: "form",
    input: z.object({ id }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      if (!deleteCriterion(getDb(), actorOf(principal), input.id).ok) refuse("NOT_FOUND", "notFound");
      return { done: "criterionDeleted" as const };
    },
  }),

  reviewSettingsSave: defineAction({
    accept: "form",
    input: z.object({ hideSpeakerNames: checkbox, othersAfterOwn: checkbox }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      saveSettings(getDb(), actorOf(principal), input);
      return { done: "settings" as const };
    },
  }),

  reviewerAssign: defineAction({
    accept: "form",
    input: z
      .object({
        userId: id,
        scope: z.enum(["all", "track", "proposal"], "invalid"),
        trackId: optionalId,
        code: codeField(20),
      })
      .superRefine((value, ctx) => {
        if (value.scope === "track" && !value.trackId) ctx.addIssue({ code: "custom", path: ["trackId"], message: "required" });
        if (value.scope === "proposal" && !value.code) ctx.addIssue({ code: "custom", path: ["code"], message: "required" });
      }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      const target =
        input.scope === "track"
          ? { scope: "track" as const, trackId: input.trackId! }
          : input.scope === "proposal"
            ? { scope: "proposal" as const, code: input.code }
            : { scope: "all" as const };
      const result = assignReviewer(getDb(), actorOf(principal), input.userId, target);
      if (!result.ok) {
        const names = {
          not_reviewer: "notReviewer",
          unknown_track: "unknownTrack",
          unknown_proposal: "unknownProposal",
          duplicate: "duplicate",
        } as const;
        refuse(result.reason === "duplicate" ? "CONFLICT" : "BAD_REQUEST", names[result.reason]);
      }
      return { done: "assigned" as const };
    },
  }),

  reviewerUnassign: defineAction({
    accept: "form",
    input: z.object({ id }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      if (!removeAssignment(getDb(), actorOf(principal), input.id).ok) refuse("NOT_FOUND", "notFound");
      return { done: "unassigned" as const };
    },
  }),

  reviewSubmit: defineAction({
    accept: "form",
    input: reviewInput,
    handler: (input, context) => {
      const principal = requirePermission(context, "proposals.review");
      const result = submitReview(getDb(), reviewerOf(principal), {
        code: input.code,
        abstain: input.abstain,
        comment: input.comment,
        scores: scoresOf(input),
      });
      if (!result.ok) {
        const { reason } = result;
        if (reason === "not_found") refuse("NOT_FOUND", "notFound");
        if (reason === "own_proposal") refuse("FORBIDDEN", "ownProposal");
        if (reason === "not_assigned") refuse("FORBIDDEN", "notAssigned");
        if (reason === "closed") refuse("CONFLICT", "closed");
        if (reason === "abstention_final") refuse("CONFLICT", "abstentionFinal");
        refuse("BAD_REQUEST", "scoreRange");
      }
      return { code: input.code };
    },
  }),

  proposalsDecide: defineAction({
    accept: "form",
    input: z.object({
      codes: z.array(code).max(1000, "invalid"),
      decision: z.enum([...PENDING_DECISIONS, "clear"], "review:decisionRequired"),
      reason: z.preprocess(
        (v) => (typeof v === "string" ? v.replace(/\r\n/g, "\n").trim() : ""),
        z.string().max(MAX_REASON, `tooLong:${MAX_REASON}`),
      ),
    }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      if (input.codes.length === 0) refuse("BAD_REQUEST", "noneSelected");
      const result = setPendingDecisions(getDb(), actorOf(principal), input.codes, input.decision === "clear" ? null : input.decision, {
        reason: input.reason,
      });
      if (!result.ok) {
        if (result.reason === "not_found") refuse("NOT_FOUND", "notFound");
        if (result.reason === "own_proposal") refuse("FORBIDDEN", "ownDecision");
        refuse("CONFLICT", "notSubmitted");
      }
      return { count: input.codes.length };
    },
  }),

  decisionsRelease: defineAction({
    accept: "form",
    // The digest of the pending decisions the organizer confirmed (decisions.ts pendingDigest).
    input: z.object({
      expected: trimmed(100, { blank: "invalid" }),
    }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      const result = releaseDecisions(getDb(), getAppKey(), actorOf(principal), input.expected);
      if (!result.ok) refuse("CONFLICT", result.reason === "nothing" ? "nothingToRelease" : "countChanged");
      return { released: result.ok ? result.accepted + result.rejected : 0, messages: result.ok ? result.messages : 0 };
    },
  }),

  proposalMessage: defineAction({
    accept: "form",
    input: z.object({ code, body: text(MAX_MESSAGE, { multiline: true, required: true }) }),
    handler: (input, context) => {
      const principal = requirePermission(context, "cfp.manage");
      const result = messageSpeakers(getDb(), actorOf(principal), input.code, input.body);
      if (!result.ok)
        refuse(result.reason === "not_found" ? "NOT_FOUND" : "BAD_REQUEST", result.reason === "not_found" ? "notFound" : "noRecipient");
      nudgeWorker();
      return { recipients: result.ok ? result.recipients : 0 };
    },
  }),

  heldMailSend: defineAction({
    accept: "form",
    // With `id` "all", `expected` is the digest of the held messages shown (heldDigest): if others were held since, nothing is sent.
    input: z.object({ id: uuid, expected: trimmed(100) }).superRefine((value, ctx) => {
      if (value.id === "all" && !value.expected) ctx.addIssue({ code: "custom", path: ["expected"], message: "invalid" });
    }),
    handler: (input, context) => {
      const principal = requirePermission(context, "mail.send");
      const result = sendHeldMessages(getDb(), actorOf(principal), input.id === "all" ? { all: input.expected } : [input.id]);
      if (!result.ok) refuse("CONFLICT", result.reason === "changed" ? "heldChanged" : "notHeld");
      nudgeWorker();
      return { sent: result.ok ? result.sent : 0 };
    },
  }),

  heldMailCancel: defineAction({
    accept: "form",
    input: z.object({ id: uuid }),
    handler: (input, context) => {
      const principal = requirePermission(context, "mail.send");
      const result = cancelHeldMessage(getDb(), actorOf(principal), input.id);
      if (!result.ok)
        refuse(result.reason === "not_found" ? "NOT_FOUND" : "CONFLICT", result.reason === "not_found" ? "notFound" : "notHeld");
      return { cancelled: 1 };
    },
  }),

  proposalConfirm: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: (input) => answered(answerConfirmation(getDb(), input.token, "confirm")),
  }),

  proposalDecline: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: (input) => answered(answerConfirmation(getDb(), input.token, "decline")),
  }),
};

function answered(result: ReturnType<typeof answerConfirmation>) {
  if (!result.ok)
    refuse(
      result.reason === "unknown" ? "NOT_FOUND" : "CONFLICT",
      result.reason === "unknown" ? "unknownLink" : result.reason === "expired" ? "expired" : "invalidState",
    );
  return result.ok ? { state: result.state, already: result.already } : { state: "declined" as const, already: true };
}
