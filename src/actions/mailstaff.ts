import { ActionError, defineAction } from "astro:actions";
import { requirePermission } from "./guard.ts";
import { z } from "zod";
import { email, id } from "../lib/fields.ts";
import { ROLES } from "../../db/schema/auth.ts";
import { t } from "../i18n/index.ts";
import { changeRoles, inviteStaff, resetSecondFactor, restoreStaff, revokeStaff, type StaffResult } from "../lib/auth/staff.ts";
import { MAX_EMAIL_LENGTH } from "../lib/auth/users.ts";
import { GROUP_ID, retryMessage } from "../lib/email/admin.ts";
import { pauseGroup, resumeGroup, type PauseRefusal } from "../lib/email/groups.ts";
import {
  announcementFields,
  announcementRecipients,
  draftOf,
  isPreviewProof,
  newAnnouncementKey,
  previewProof,
  queueAnnouncement,
} from "../lib/email/announcement.ts";
import { queueCertificates } from "../lib/email/certificates.ts";
import { nudgeWorker } from "../lib/email/outbox.ts";
import { renderEmail } from "../lib/email/templates.ts";
import { keepPreview } from "../web/mail-previews.ts";
import { getAppKey, getDb, getEdition, getSiteUrl } from "../web/runtime.ts";

/**
 * The organizers' e-mail and staff forms. Each asks the guard first; refusals a user can cause are
 * error keys (`mailstaff:...`) the page translates.
 */

const uuid = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase() : ""),
  z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "invalid"),
);
const userId = id;
const roles = z.array(z.enum(ROLES, "invalid")).max(ROLES.length, "invalid");

/** A group message's id: an announcement's key (a UUID) or `release-<number>`. */
const groupId = z.preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : ""), z.string().regex(GROUP_ID, "invalid"));

/** A pause or resume refusal as an ActionError. */
function pauseRefused(reason: PauseRefusal): never {
  if (reason === "not_found") throw new ActionError({ code: "NOT_FOUND", message: "mailstaff:notFound" });
  throw new ActionError({
    code: "CONFLICT",
    message:
      reason === "already_paused" ? "mailstaff:alreadyPaused" : reason === "not_paused" ? "mailstaff:notPaused" : "mailstaff:finished",
  });
}

/** A staff change's refusal as an ActionError. */
function refused(result: StaffResult, self: "selfRoles" | "selfRevoke" | "selfReset"): never {
  if (result.ok) throw new Error("not a refusal");
  const { reason } = result;
  if (reason === "not_found") throw new ActionError({ code: "NOT_FOUND", message: "mailstaff:notFound" });
  if (reason === "forbidden") throw new ActionError({ code: "FORBIDDEN", message: "mailstaff:forbidden" });
  if (reason === "revoked") throw new ActionError({ code: "CONFLICT", message: "mailstaff:revoked" });
  throw new ActionError({ code: "BAD_REQUEST", message: `mailstaff:${self}` });
}

const announcement = () => announcementFields(getEdition());

export const mailstaff = {
  mailRetry: defineAction({
    accept: "form",
    input: z.object({ id: uuid }),
    handler: ({ id }, context) => {
      const principal = requirePermission(context, "mail.send");
      const result = retryMessage(getDb(), principal.user, id);
      if (!result.ok)
        throw new ActionError(
          result.reason === "not_found"
            ? { code: "NOT_FOUND", message: "mailstaff:notFound" }
            : { code: "CONFLICT", message: result.reason === "cancelled" ? "mailstaff:cancelled" : "mailstaff:notFailed" },
        );
      nudgeWorker();
      return { ok: true };
    },
  }),

  mailGroupPause: defineAction({
    accept: "form",
    input: z.object({ id: groupId }),
    handler: ({ id }, context) => {
      const principal = requirePermission(context, "mail.send");
      const result = pauseGroup(getDb(), principal.user, id);
      if (!result.ok) pauseRefused(result.reason);
      return { done: "paused" as const };
    },
  }),

  mailGroupResume: defineAction({
    accept: "form",
    input: z.object({ id: groupId }),
    handler: ({ id }, context) => {
      const principal = requirePermission(context, "mail.send");
      const result = resumeGroup(getDb(), principal.user, id);
      if (!result.ok) pauseRefused(result.reason);
      nudgeWorker();
      return { done: "resumed" as const };
    },
  }),

  mailPreview: defineAction({
    accept: "form",
    input: z.object(announcement()),
    handler: async (input, context) => {
      const principal = requirePermission(context, "mail.send");
      const draft = draftOf(input);
      const recipients = announcementRecipients(getDb(), draft.filters);
      const key = newAnnouncementKey();
      const ctx = { edition: getEdition(), siteUrl: getSiteUrl(), appKey: getAppKey() };
      const render = (language: "en" | "fr") =>
        renderEmail(
          {
            template: "announcement",
            language,
            payload: { name: t(language).mailstaff.compose.previewName, subject: draft.subject[language], body: draft.body[language] },
          },
          ctx,
        );
      const [en, fr] = await Promise.all([render("en"), render("fr")]);
      return {
        key,
        proof: previewProof(getAppKey(), draft, key),
        frame: keepPreview(principal.user.id, { en: en.html, fr: fr.html }),
        recipients: {
          total: recipients.length,
          en: recipients.filter((r) => r.language === "en").length,
          fr: recipients.filter((r) => r.language === "fr").length,
        },
        en: { subject: en.subject, text: en.text },
        fr: { subject: fr.subject, text: fr.text },
      };
    },
  }),

  /** The post-event message: each attendee checked in gets the link to their certificate of attendance. */
  mailCertificates: defineAction({
    accept: "form",
    input: z.object({ key: uuid }),
    handler: (input, context) => {
      const principal = requirePermission(context, "mail.send");
      const result = queueCertificates({ db: getDb(), appKey: getAppKey() }, principal.user, input.key);
      if (!result.ok) {
        if (result.reason === "already_sent")
          throw new ActionError({ code: "CONFLICT", message: `mailstaff:alreadySent:${result.recipients}` });
        throw new ActionError({ code: "BAD_REQUEST", message: "mailstaff:noneCheckedIn" });
      }
      nudgeWorker();
      return { recipients: result.recipients };
    },
  }),

  mailSend: defineAction({
    accept: "form",
    input: z.object({ ...announcement(), key: uuid, proof: z.string().max(100, "invalid") }),
    handler: (input, context) => {
      const principal = requirePermission(context, "mail.send");
      const draft = draftOf(input);
      if (!isPreviewProof(getAppKey(), draft, input.key, input.proof))
        throw new ActionError({ code: "BAD_REQUEST", message: "mailstaff:notPreviewed" });
      const result = queueAnnouncement(getDb(), principal.user, draft, input.key);
      if (!result.ok) {
        if (result.reason === "already_sent")
          throw new ActionError({ code: "CONFLICT", message: `mailstaff:alreadySent:${result.recipients}` });
        throw new ActionError({ code: "BAD_REQUEST", message: "mailstaff:noRecipients" });
      }
      nudgeWorker();
      return { recipients: result.recipients };
    },
  }),

  staffInvite: defineAction({
    accept: "form",
    input: z.object({
      email: email({ max: MAX_EMAIL_LENGTH }),
      roles: roles.min(1, "mailstaff:noRole"),
      language: z.enum(["en", "fr"], "invalidLanguage"),
    }),
    handler: (input, context) => {
      const principal = requirePermission(context, "staff.manage");
      const result = inviteStaff(getDb(), getAppKey(), principal.user, input);
      if (!result.ok) refused(result, "selfRoles");
      nudgeWorker();
      return { done: "invited" as const };
    },
  }),

  staffRoles: defineAction({
    accept: "form",
    input: z.object({ userId, roles }),
    handler: (input, context) => {
      const principal = requirePermission(context, "staff.manage");
      const result = changeRoles(getDb(), principal.user, input.userId, input.roles);
      if (!result.ok) refused(result, "selfRoles");
      return { done: "roles" as const };
    },
  }),

  staffRevoke: defineAction({
    accept: "form",
    input: z.object({ userId }),
    handler: (input, context) => {
      const principal = requirePermission(context, "staff.manage");
      const result = revokeStaff(getDb(), principal.user, input.userId);
      if (!result.ok) refused(result, "selfRevoke");
      return { done: "revoked" as const };
    },
  }),

  staffRestore: defineAction({
    accept: "form",
    input: z.object({ userId }),
    handler: (input, context) => {
      const principal = requirePermission(context, "staff.manage");
      const result = restoreStaff(getDb(), principal.user, input.userId);
      if (!result.ok) refused(result, "selfRevoke");
      return { done: "restored" as const };
    },
  }),

  staffResetSecondFactor: defineAction({
    accept: "form",
    input: z.object({ userId }),
    handler: (input, context) => {
      const principal = requirePermission(context, "staff.manage");
      const result = resetSecondFactor(getDb(), principal.user, input.userId);
      if (!result.ok) refused(result, "selfReset");
      return { done: "reset" as const };
    },
  }),
};
