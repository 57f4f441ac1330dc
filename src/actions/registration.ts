import { ActionError, defineAction } from "astro:actions";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { nudgeWorker } from "../lib/email/outbox.ts";
import { checkbox, email, token, trimmed } from "../lib/fields.ts";
import { DECISIONS, decideRegistrations, matchingDigest, matchingIds, MAX_BULK, parseQuery } from "../lib/registration/admin.ts";
import { editSchema, EDITABLE_FIELDS, registrationSchema, type EditableField } from "../lib/registration/form.ts";
import {
  cancel,
  confirmEmail,
  type DetailsInput,
  erase,
  findByToken,
  issueManageLink,
  type Refused,
  registrationOfEmail,
  resendManageLink,
  submit,
  updateDetails,
} from "../lib/registration/service.ts";
import { clientKey } from "../lib/security/rate-limit.ts";
import { clientAddressOf } from "../web/edge.ts";
import { getDb, getEdition, rateLimits, registrationDeps } from "../web/runtime.ts";
import { limited, requirePermission } from "./guard.ts";

/**
 * Registration's forms: register, the private link's changes (confirm, edit, cancel, erase), the
 * organizers' decisions, and the signed-in holder's way to their registration.
 */

/** Runs `work` in one IMMEDIATE transaction of `db` (the transactions inside it become savepoints). */
function registerInOneTransaction<T>(db: Db, work: () => T): T {
  return db.$client.transaction(work).immediate();
}

/** The registration behind a private link, or a 404 the page explains. */
function registrationOf(linkToken: string) {
  const registration = findByToken(registrationDeps(), linkToken);
  if (!registration) throw new ActionError({ code: "NOT_FOUND", message: "unknownLink" });
  return registration;
}

/** Turns a refused domain change into the matching HTTP error. */
function refused({ reason }: Refused): never {
  throw new ActionError({
    code: reason === "not_found" ? "NOT_FOUND" : reason === "conflict" ? "CONFLICT" : "BAD_REQUEST",
    message: reason === "conflict" ? "conflict" : reason === "not_found" ? "unknownLink" : "invalidState",
  });
}

export const registration = {
  register: defineAction({
    accept: "form",
    input: registrationSchema(getEdition()),
    handler: (input, context) => {
      if (input.website !== "") throw new ActionError({ code: "BAD_REQUEST", message: "honeypot" });
      const limits = rateLimits();
      const deps = registrationDeps();
      const client = clientKey(clientAddressOf(context));
      // Both limits and the registration in one transaction (one commit per form in a burst); an
      // allowed attempt counts even when the other limit refuses it, as before.
      const refusal = registerInOneTransaction(deps.db, () => {
        const byIp = limits.registerByIp.hit(client);
        if (!byIp.allowed) return byIp;
        const byEmail = limits.registerByEmail.hit(input.email);
        if (!byEmail.allowed) return byEmail;
        // Whether the address was new or already registered, the answer is the same.
        submit(deps, input);
        return null;
      });
      if (refusal) limited(refusal.retryAfterSeconds);
      nudgeWorker();
      return { ok: true };
    },
  }),
  /** "Resend my link": the same answer whether the address is registered or not (limits included). */
  resendManageLink: defineAction({
    accept: "form",
    input: z.object({ email: email() }),
    handler: ({ email }, context) => {
      const limits = rateLimits();
      const byIp = limits.manageLinkByIp.hit(clientKey(clientAddressOf(context)));
      if (!byIp.allowed) limited(byIp.retryAfterSeconds);
      const byEmail = limits.manageLinkByEmail.hit(email);
      if (!byEmail.allowed) limited(byEmail.retryAfterSeconds);
      resendManageLink(registrationDeps(), email);
      nudgeWorker();
      return { ok: true };
    },
  }),
  confirmRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      registrationOf(linkToken);
      const result = confirmEmail(registrationDeps(), linkToken);
      if (!result.ok) refused(result);
      nudgeWorker();
      return { status: result.registration.status };
    },
  }),
  updateRegistration: defineAction({
    accept: "form",
    input: editSchema(getEdition()),
    handler: (input) => {
      const registration = registrationOf(input.token);
      if (input.category !== registration.category) throw new ActionError({ code: "BAD_REQUEST", message: "invalidState" });
      const details = Object.fromEntries(EDITABLE_FIELDS.map((field: EditableField) => [field, input[field]])) as DetailsInput;
      const result = updateDetails(registrationDeps(), registration.id, input.version, details, "attendee");
      if (!result.ok) refused(result);
      nudgeWorker();
      return { changed: result.changed.length, backToReview: result.backToReview };
    },
  }),
  cancelRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      const registration = registrationOf(linkToken);
      const result = cancel(registrationDeps(), registration.id, "attendee");
      if (!result.ok) refused(result);
      nudgeWorker();
      return { status: result.registration.status };
    },
  }),
  eraseRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      const registration = registrationOf(linkToken);
      erase(registrationDeps(), registration.id);
      nudgeWorker();
      return { erased: true };
    },
  }),
  decideRegistrations: defineAction({
    accept: "form",
    input: z.object({
      ids: z.array(z.number().int().positive()).max(500),
      /** Every registration the list's filter matches (all pages), instead of the ticked ones. */
      allMatching: checkbox,
      /** matchingDigest of what the page showed as matching: "all" means those, not what matches now. */
      matching: z.preprocess((v) => (typeof v === "string" ? v : ""), z.string().max(64)),
      decision: z.enum(DECISIONS, "invalid"),
      reason: trimmed(1000, { tooLong: "tooLong:1000" }),
    }),
    handler: ({ ids: ticked, allMatching, matching, decision, reason }, context) => {
      const principal = requirePermission(context, "registrations.decide");
      let ids = ticked;
      if (allMatching) {
        // The form posts to the list's own address: its query is the filter the organizer saw.
        ids = matchingIds(getDb(), parseQuery(context.url.searchParams));
        if (ids.length > MAX_BULK) throw new ActionError({ code: "BAD_REQUEST", message: `admin:tooMany:${MAX_BULK}` });
        if (matchingDigest(ids) !== matching) throw new ActionError({ code: "CONFLICT", message: "admin:matchingChanged" });
      }
      if (ids.length === 0) throw new ActionError({ code: "BAD_REQUEST", message: "admin:noneSelected" });
      if (decision === "reject" && !reason) throw new ActionError({ code: "BAD_REQUEST", message: "admin:reasonRequired" });
      const result = decideRegistrations(registrationDeps(), principal.user, decision, ids, reason);
      if (!result.ok) {
        // Which registration stopped the decision, for the page to name it (its id, never its data, in the message).
        const which = result.registrationId !== undefined && ids.length > 1 ? `:${result.registrationId}` : "";
        throw new ActionError({ code: result.reason === "not_found" ? "NOT_FOUND" : "CONFLICT", message: `admin:refused${which}` });
      }
      nudgeWorker();
      return { count: result.registrations.length };
    },
  }),
  openMyRegistration: defineAction({
    accept: "form",
    input: z.object({}),
    handler: (_input, context) => {
      const principal = context.locals.principal;
      if (!principal) throw new ActionError({ code: "UNAUTHORIZED", message: "forbidden" });
      const registration = registrationOfEmail(getDb(), principal.user.email);
      if (!registration) throw new ActionError({ code: "NOT_FOUND", message: "unknownLink" });
      return { token: issueManageLink(registrationDeps(), registration.id) };
    },
  }),
};
