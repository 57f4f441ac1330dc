import type { AstroGlobal } from "astro";
import { actions, type ActionError } from "astro:actions";
import { localizePath, t, type Locale } from "../../i18n/index.ts";
import { privateTargetsAllowed } from "../../lib/webhooks/addresses.ts";
import { listDeliveries, parseDeliveryQuery, type DeliveryQuery } from "../../lib/webhooks/deliveries.ts";
import { getEndpoint, listEndpoints, type EndpointSummary } from "../../lib/webhooks/endpoints.ts";
import type { WebhookEventType } from "../../lib/webhooks/events.ts";
import { formErrors, submittedFields, type FormErrors } from "../../web/forms.ts";
import { getDb } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";
import type { Loaded } from "./route.ts";

/** Request handling of the organizers' webhook pages (`webhooks.manage`, decision 40). */

/** The fields of the endpoint form, in their order. */
export const ENDPOINT_FIELDS = ["url", "description", "events"] as const;

/** What the endpoint form shows: what was typed (after a refusal) or the endpoint's values. */
export interface EndpointFormValues {
  url: string;
  description: string;
  events: string[];
}

/** A refusal of the URL (its host leads somewhere refused) is shown by the URL field. */
function endpointErrors(error: ActionError | undefined, locale: Locale, fields: readonly string[] = ENDPOINT_FIELDS): FormErrors {
  return formErrors(error, t(locale), fields, {
    fieldOf: (key) => (key.startsWith("webhooks:url") ? "url" : key === "webhooks:confirmDelete" ? "confirm" : undefined),
  });
}

async function typed(Astro: AstroGlobal, error: ActionError | undefined): Promise<EndpointFormValues | undefined> {
  if (!error) return undefined;
  const form = await submittedFields(Astro.request);
  if (!form) return undefined;
  return { url: form.get("url") ?? "", description: form.get("description") ?? "", events: form.getAll("events") };
}

const WEBHOOK_DONE = ["updated", "enabled", "disabled", "deleted", "resent"] as const;
export type WebhookDone = (typeof WEBHOOK_DONE)[number];
const doneOf = (url: URL): WebhookDone | undefined => {
  const done = url.searchParams.get("done") ?? "";
  return (WEBHOOK_DONE as readonly string[]).includes(done) ? (done as WebhookDone) : undefined;
};

export interface WebhooksProps {
  locale: Locale;
  endpoints: EndpointSummary[];
  form: EndpointFormValues;
  errors: FormErrors;
  /** Right after an endpoint was added: its secret, shown this once. */
  created?: { id: number; secret: string };
  done?: WebhookDone;
  allowPrivate: boolean;
}

/** The list of endpoints and the form that adds one; the secret of one just added is shown in the answer to that POST only. */
export async function webhooksState(Astro: AstroGlobal): Promise<Guarded<WebhooksProps>> {
  const guard = guardPage(Astro, "webhooks.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const result = Astro.getActionResult(actions.webhookCreate);
  const created = result && !result.error ? result.data : undefined;
  if (created) Astro.response.headers.set("Cache-Control", "no-store");
  return {
    props: {
      locale,
      endpoints: listEndpoints(getDb()),
      form: (await typed(Astro, result?.error)) ?? { url: "", description: "", events: [] },
      errors: endpointErrors(result?.error, locale),
      created,
      done: doneOf(Astro.url),
      allowPrivate: privateTargetsAllowed(),
    },
  };
}

export interface WebhookProps {
  locale: Locale;
  endpoint: NonNullable<ReturnType<typeof getEndpoint>>;
  form: EndpointFormValues;
  /** Errors of the settings form, and of the other forms (enable, rotate, delete, re-send). */
  errors: FormErrors;
  otherErrors: FormErrors;
  /** Right after a rotation: the new secret, shown this once. */
  secret?: string;
  done?: WebhookDone;
  query: DeliveryQuery;
  list: ReturnType<typeof listDeliveries>;
  allowPrivate: boolean;
}

/** One endpoint: its settings and its deliveries; successes come back here (a deletion to the list). */
export async function webhookState(Astro: AstroGlobal): Promise<Loaded<WebhookProps>> {
  const guard = guardPage(Astro, "webhooks.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const id = Number(Astro.params.id);
  const deleted = Astro.getActionResult(actions.webhookDelete);
  if (deleted && !deleted.error) return { redirect: `${localizePath("/admin/webhooks", locale)}?done=deleted` };
  for (const action of [actions.webhookUpdate, actions.webhookSetEnabled, actions.webhookResend]) {
    const result = Astro.getActionResult(action);
    if (result && !result.error) {
      const back = new URL(Astro.url);
      back.searchParams.delete("_action");
      back.searchParams.set("done", result.data.done);
      return { redirect: back.pathname + back.search };
    }
  }
  const endpoint = Number.isInteger(id) && id > 0 ? getEndpoint(getDb(), id) : undefined;
  if (!endpoint) return { notFound: true };
  const updated = Astro.getActionResult(actions.webhookUpdate);
  const rotated = Astro.getActionResult(actions.webhookRotate);
  if (rotated && !rotated.error) Astro.response.headers.set("Cache-Control", "no-store");
  const other = [deleted, Astro.getActionResult(actions.webhookSetEnabled), rotated, Astro.getActionResult(actions.webhookResend)].find(
    (r) => r?.error,
  )?.error;
  const query = parseDeliveryQuery(Astro.url.searchParams);
  return {
    props: {
      locale,
      endpoint,
      form: (await typed(Astro, updated?.error)) ?? {
        url: endpoint.url,
        description: endpoint.description,
        events: endpoint.events as WebhookEventType[],
      },
      errors: endpointErrors(updated?.error, locale),
      otherErrors: endpointErrors(other, locale, ["confirm", "delivery"]),
      secret: rotated && !rotated.error ? rotated.data.secret : undefined,
      done: doneOf(Astro.url),
      query,
      list: listDeliveries(getDb(), endpoint.id, query),
      allowPrivate: privateTargetsAllowed(),
    },
  };
}
