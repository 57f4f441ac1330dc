import { ActionError, defineAction } from "astro:actions";
import { z } from "zod";
import { checkbox, id } from "../lib/fields.ts";
import { resendDelivery } from "../lib/webhooks/deliveries.ts";
import {
  createEndpoint,
  deleteEndpoint,
  endpointFields,
  rotateEndpointSecret,
  setEndpointEnabled,
  targetProblem,
  updateEndpoint,
} from "../lib/webhooks/endpoints.ts";
import { getAppKey, getDb } from "../web/runtime.ts";
import { actorOf, requirePermission } from "./guard.ts";

/**
 * The organizers' webhook forms (`webhooks.manage`, decision 40). Each asks the guard first; the
 * URL's host is resolved only then (an anonymous request never makes the server look a name up),
 * and a refusal of the address is a `webhooks:url...` key the page shows by the URL field.
 */

/** Refuses (by the URL field) an address whose host leads to a refused network address, or nowhere. */
async function checkTarget(url: string): Promise<void> {
  const problem = await targetProblem(url);
  if (problem) throw new ActionError({ code: "BAD_REQUEST", message: problem });
}

const notFound = (): never => {
  throw new ActionError({ code: "NOT_FOUND", message: "webhooks:notFound" });
};

export const webhooks = {
  webhookCreate: defineAction({
    accept: "form",
    input: z.object(endpointFields()),
    handler: async (input, context) => {
      const principal = requirePermission(context, "webhooks.manage");
      await checkTarget(input.url);
      const { id: endpointId, secret } = createEndpoint(getDb(), getAppKey(), actorOf(principal), input);
      // Shown once, in the answer to this POST; never stored in clear, never in a URL.
      return { id: endpointId, secret };
    },
  }),

  webhookUpdate: defineAction({
    accept: "form",
    input: z.object({ id, ...endpointFields() }),
    handler: async ({ id: endpointId, ...input }, context) => {
      const principal = requirePermission(context, "webhooks.manage");
      await checkTarget(input.url);
      if (!updateEndpoint(getDb(), actorOf(principal), endpointId, input).ok) notFound();
      return { done: "updated" as const };
    },
  }),

  webhookSetEnabled: defineAction({
    accept: "form",
    input: z.object({ id, enabled: checkbox }),
    handler: ({ id: endpointId, enabled }, context) => {
      const principal = requirePermission(context, "webhooks.manage");
      if (!setEndpointEnabled(getDb(), actorOf(principal), endpointId, enabled).ok) notFound();
      return { done: enabled ? ("enabled" as const) : ("disabled" as const) };
    },
  }),

  webhookRotate: defineAction({
    accept: "form",
    input: z.object({ id }),
    handler: ({ id: endpointId }, context) => {
      const principal = requirePermission(context, "webhooks.manage");
      const result = rotateEndpointSecret(getDb(), getAppKey(), actorOf(principal), endpointId);
      if (!result.ok) return notFound();
      return { secret: result.secret };
    },
  }),

  webhookDelete: defineAction({
    accept: "form",
    input: z.object({ id, confirm: checkbox.refine((v) => v, "webhooks:confirmDelete") }),
    handler: ({ id: endpointId }, context) => {
      const principal = requirePermission(context, "webhooks.manage");
      if (!deleteEndpoint(getDb(), actorOf(principal), endpointId).ok) notFound();
      return { done: "deleted" as const };
    },
  }),

  webhookResend: defineAction({
    accept: "form",
    input: z.object({ delivery: id }),
    handler: ({ delivery }, context) => {
      const principal = requirePermission(context, "webhooks.manage");
      const result = resendDelivery(getDb(), actorOf(principal), delivery);
      if (!result.ok)
        throw new ActionError(
          result.reason === "not_found"
            ? { code: "NOT_FOUND", message: "webhooks:notFound" }
            : { code: "CONFLICT", message: "webhooks:sending" },
        );
      return { done: "resent" as const };
    },
  }),
};
