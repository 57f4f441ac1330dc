import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client.ts";
import { WEBHOOK_EVENT_TYPES, webhookDeliveries, webhookEndpoints, type WebhookEventType } from "../../../db/schema/webhooks.ts";
import { recordAudit } from "../audit.ts";
import { seal, unseal } from "../auth/sealed.ts";
import { text } from "../fields.ts";
import { addressAllowed, plainHttpAllowed, privateTargetsAllowed } from "./addresses.ts";
import { newWebhookSecret, secretHint } from "./signing.ts";

/**
 * The organizers' webhook endpoints (decision 40): register a URL for some event types, with a
 * secret shown once and kept sealed (it must be read back to sign: an HMAC key cannot be stored as
 * a hash), enable, disable, rotate the secret, delete. Every change is audited.
 */

export type Endpoint = typeof webhookEndpoints.$inferSelect;
type Actor = { id: number; email: string };

/** Longest URL accepted. */
export const MAX_URL = 2_000;

/**
 * The URL field: absolute `https://` (or `http://` where the operator allows it), no user name or
 * password in it, no fragment. Error keys `webhooks:...` the page translates.
 */
export function urlField(env: NodeJS.ProcessEnv = process.env) {
  return z.preprocess(
    (v) => (typeof v === "string" ? v.trim() : ""),
    z
      .string()
      .min(1, "required")
      .max(MAX_URL, `tooLong:${MAX_URL}`)
      .superRefine((value, ctx) => {
        const problem = urlProblem(value, env);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  );
}

/** What is wrong with a URL as a webhook target before any lookup, as an error key; undefined if nothing. */
export function urlProblem(value: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "webhooks:urlInvalid";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "webhooks:urlInvalid";
  if (url.protocol === "http:" && !plainHttpAllowed(env)) return "webhooks:urlHttps";
  if (url.username || url.password) return "webhooks:urlCredentials";
  if (url.hash) return "webhooks:urlFragment";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) && !addressAllowed(host, privateTargetsAllowed(env))) return "webhooks:urlPrivate";
  return undefined;
}

/** The event types field: checkboxes of one name (a plain array, so that Astro reads every value), at least one. */
export const eventsField = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, "invalid"), "invalid")
  .min(1, "webhooks:noEvents")
  .max(WEBHOOK_EVENT_TYPES.length, "invalid");

/** The endpoint form's fields (create and edit). */
export function endpointFields(env: NodeJS.ProcessEnv = process.env) {
  return { url: urlField(env), description: text(100), events: eventsField };
}

export interface EndpointInput {
  url: string;
  description: string;
  events: WebhookEventType[];
}

/** Resolves a host name to its addresses (dns.lookup, every family), injectable for tests. */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Where a URL's host name leads, judged as the worker will judge it at each delivery: every address
 * it resolves to must be allowed. An error key for the URL field, or undefined when it may be used.
 * (The worker checks again at delivery time and connects to the address it checked.)
 */
export async function targetProblem(
  value: string,
  { env = process.env, resolve = systemResolver }: { env?: NodeJS.ProcessEnv; resolve?: Resolver } = {},
): Promise<string | undefined> {
  const early = urlProblem(value, env);
  if (early) return early;
  const host = new URL(value).hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return undefined;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return "webhooks:urlUnresolvable";
  }
  if (addresses.length === 0) return "webhooks:urlUnresolvable";
  const allowPrivate = privateTargetsAllowed(env);
  return addresses.every((a) => addressAllowed(a, allowPrivate)) ? undefined : "webhooks:urlPrivate";
}

const sealContext = (id: number) => `webhook-endpoint:${id}`;

/** The secret of an endpoint, unsealed to sign a request. */
export function endpointSecret(appKey: Buffer, endpoint: Pick<Endpoint, "id" | "secretSealed">): string {
  return unseal(appKey, endpoint.secretSealed, sealContext(endpoint.id));
}

/** Registers an endpoint; returns its id and its secret, which is shown this once. */
export function createEndpoint(
  db: Db,
  appKey: Buffer,
  actor: Actor,
  input: EndpointInput,
  now = Date.now(),
): { id: number; secret: string } {
  const secret = newWebhookSecret();
  return db.transaction(
    (tx) => {
      const { id } = tx
        .insert(webhookEndpoints)
        .values({
          url: input.url,
          description: input.description,
          events: [...new Set(input.events)],
          secretSealed: "",
          secretHint: secretHint(secret),
          createdByEmail: actor.email,
          createdAt: new Date(now),
          updatedAt: new Date(now),
        })
        .returning({ id: webhookEndpoints.id })
        .get();
      tx.update(webhookEndpoints)
        .set({ secretSealed: seal(appKey, secret, sealContext(id)) })
        .where(eq(webhookEndpoints.id, id))
        .run();
      recordAudit(
        tx,
        { actor, action: "webhook.create", subjectType: "webhook", subjectId: id, after: { url: input.url, events: input.events } },
        now,
      );
      return { id, secret };
    },
    { behavior: "immediate" },
  );
}

export type EndpointResult<T = object> = ({ ok: true } & T) | { ok: false; reason: "not_found" };

/** Changes an endpoint's URL, name and event types (its secret stays). */
export function updateEndpoint(db: Db, actor: Actor, id: number, input: EndpointInput, now = Date.now()): EndpointResult {
  return db.transaction(
    (tx) => {
      const before = tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
      if (!before) return { ok: false, reason: "not_found" } as const;
      const events = [...new Set(input.events)];
      tx.update(webhookEndpoints)
        .set({ url: input.url, description: input.description, events, updatedAt: new Date(now) })
        .where(eq(webhookEndpoints.id, id))
        .run();
      recordAudit(
        tx,
        {
          actor,
          action: "webhook.update",
          subjectType: "webhook",
          subjectId: id,
          before: { url: before.url, events: before.events },
          after: { url: input.url, events },
        },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** Enables or disables an endpoint: a disabled one gets no new event and its queued deliveries wait. */
export function setEndpointEnabled(db: Db, actor: Actor, id: number, enabled: boolean, now = Date.now()): EndpointResult {
  return db.transaction(
    (tx) => {
      const changed = tx
        .update(webhookEndpoints)
        .set({ enabled, updatedAt: new Date(now) })
        .where(eq(webhookEndpoints.id, id))
        .run().changes;
      if (changed === 0) return { ok: false, reason: "not_found" } as const;
      recordAudit(tx, { actor, action: enabled ? "webhook.enable" : "webhook.disable", subjectType: "webhook", subjectId: id }, now);
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** A new secret for an endpoint, shown this once; the old one stops signing at once. */
export function rotateEndpointSecret(
  db: Db,
  appKey: Buffer,
  actor: Actor,
  id: number,
  now = Date.now(),
): EndpointResult<{ secret: string }> {
  const secret = newWebhookSecret();
  return db.transaction(
    (tx) => {
      const changed = tx
        .update(webhookEndpoints)
        .set({
          secretSealed: seal(appKey, secret, sealContext(id)),
          secretHint: secretHint(secret),
          secretRotatedAt: new Date(now),
          updatedAt: new Date(now),
        })
        .where(eq(webhookEndpoints.id, id))
        .run().changes;
      if (changed === 0) return { ok: false, reason: "not_found" } as const;
      recordAudit(tx, { actor, action: "webhook.rotate_secret", subjectType: "webhook", subjectId: id }, now);
      return { ok: true, secret } as const;
    },
    { behavior: "immediate" },
  );
}

/** Deletes an endpoint and its deliveries (the events other endpoints received stay theirs). */
export function deleteEndpoint(db: Db, actor: Actor, id: number, now = Date.now()): EndpointResult {
  return db.transaction(
    (tx) => {
      const before = tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
      if (!before) return { ok: false, reason: "not_found" } as const;
      tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).run();
      recordAudit(
        tx,
        { actor, action: "webhook.delete", subjectType: "webhook", subjectId: id, before: { url: before.url, events: before.events } },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** An endpoint with its deliveries counted by state. */
export interface EndpointSummary extends Omit<Endpoint, "secretSealed"> {
  counts: Record<"pending" | "sending" | "delivered" | "failed", number>;
}

/** Every endpoint, oldest first, with its deliveries counted by state (no secret). */
export function listEndpoints(db: Db): EndpointSummary[] {
  const counts = db
    .select({ endpointId: webhookDeliveries.endpointId, state: webhookDeliveries.state, n: sql<number>`count(*)` })
    .from(webhookDeliveries)
    .groupBy(webhookDeliveries.endpointId, webhookDeliveries.state)
    .all();
  return db
    .select()
    .from(webhookEndpoints)
    .orderBy(asc(webhookEndpoints.id))
    .all()
    .map(({ secretSealed: _sealed, ...endpoint }) => {
      const mine = { pending: 0, sending: 0, delivered: 0, failed: 0 };
      for (const c of counts) if (c.endpointId === endpoint.id) mine[c.state] = c.n;
      return { ...endpoint, counts: mine };
    });
}

/** One endpoint (no secret), if it exists. */
export function getEndpoint(db: Db, id: number): Omit<Endpoint, "secretSealed"> | undefined {
  const row = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
  if (!row) return undefined;
  const { secretSealed: _sealed, ...endpoint } = row;
  return endpoint;
}
