import { ActionError, defineAction } from "astro:actions";
import { z } from "zod";
import { nudgeWorker } from "../lib/email/outbox.ts";
import { editSchema, EDITABLE_FIELDS, registrationSchema, type EditableField } from "../lib/registration/form.ts";
import {
  cancel,
  confirmEmail,
  erase,
  findByToken,
  RegistrationError,
  submit,
  updateDetails,
  type DetailsInput,
} from "../lib/registration/service.ts";
import { clientKey } from "../lib/security/rate-limit.ts";
import { getEdition, rateLimits, registrationDeps } from "../lib/server/runtime.ts";

/**
 * The site's forms. Each works without JavaScript: the page posts to itself, renders errors next
 * to the fields (status 400, 409, 413 or 429), and redirects after success. Error messages are
 * keys the page translates.
 */

const token = z.preprocess((v) => (typeof v === "string" ? v.trim() : ""), z.string().max(100, "invalid"));

function limited(retryAfterSeconds: number): never {
  throw new ActionError({ code: "TOO_MANY_REQUESTS", message: `retryAfter:${retryAfterSeconds}` });
}

/** The registration behind a private link, or a 404 the page explains. */
function registrationOf(linkToken: string) {
  const registration = findByToken(registrationDeps(), linkToken);
  if (!registration) throw new ActionError({ code: "NOT_FOUND", message: "unknownLink" });
  return registration;
}

/** Turns a refused domain change into the matching HTTP error. */
function refused(error: unknown): never {
  if (error instanceof RegistrationError) {
    const code = error.code === "not_found" ? "NOT_FOUND" : error.code === "conflict" ? "CONFLICT" : "BAD_REQUEST";
    throw new ActionError({
      code,
      message: error.code === "conflict" ? "conflict" : error.code === "not_found" ? "unknownLink" : "invalidState",
    });
  }
  throw error;
}

export const server = {
  register: defineAction({
    accept: "form",
    input: registrationSchema(getEdition()),
    handler: (input, context) => {
      if (input.website !== "") throw new ActionError({ code: "BAD_REQUEST", message: "honeypot" });
      const limits = rateLimits();
      const byIp = limits.registerByIp.hit(clientKey(context.clientAddress));
      if (!byIp.allowed) limited(byIp.retryAfterSeconds);
      const byEmail = limits.registerByEmail.hit(input.email);
      if (!byEmail.allowed) limited(byEmail.retryAfterSeconds);
      // Whether the address was new or already registered, the answer is the same.
      submit(registrationDeps(), input);
      nudgeWorker();
      return { ok: true };
    },
  }),

  confirmRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      registrationOf(linkToken);
      try {
        const { status } = confirmEmail(registrationDeps(), linkToken);
        nudgeWorker();
        return { status };
      } catch (error) {
        refused(error);
      }
    },
  }),

  updateRegistration: defineAction({
    accept: "form",
    input: editSchema(getEdition()),
    handler: (input) => {
      const registration = registrationOf(input.token);
      if (input.category !== registration.category) throw new ActionError({ code: "BAD_REQUEST", message: "invalidState" });
      const details = Object.fromEntries(EDITABLE_FIELDS.map((field: EditableField) => [field, input[field]])) as DetailsInput;
      try {
        const result = updateDetails(registrationDeps(), registration.id, input.version, details, "attendee");
        nudgeWorker();
        return { changed: result.changed.length, backToReview: result.backToReview };
      } catch (error) {
        refused(error);
      }
    },
  }),

  cancelRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      const registration = registrationOf(linkToken);
      try {
        const { status } = cancel(registrationDeps(), registration.id, "attendee");
        nudgeWorker();
        return { status };
      } catch (error) {
        refused(error);
      }
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
};
