import { eq, lt } from "drizzle-orm";
import { Resend } from "resend";
import type { Db } from "../../../db/client.ts";
import { mailWebhookEvents, outbox, type DeliveryOutcome } from "../../../db/schema/outbox.ts";
import { registrations } from "../../../db/schema/registration.ts";

/**
 * Resend's webhook: what became of a sent message (delivered, delayed, bounced, complained of),
 * signed in the Svix scheme (`svix-id`, `svix-timestamp`, `svix-signature`: an HMAC-SHA256 of
 * `id.timestamp.body` with the endpoint's secret). The SDK's `webhooks.verify` checks the signature
 * and refuses a timestamp more than 5 minutes away; each delivery id is recorded, so the same
 * delivery played again is refused too. A refused request records nothing. The outcome goes on the
 * outbox row found by the provider's message id; a bounced address confirmation also marks its
 * registration, for the organizers.
 */

/** Largest body accepted (Resend's events are a few KiB). */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

/** How long delivery ids are kept against replays: far beyond the 5 minutes a signature's timestamp is accepted. */
export const REPLAY_MEMORY_MS = 24 * 3_600_000;

/** Outcomes by rank: a later event never lowers what is known (a delay after the delivery, a delivery after a bounce). */
const RANK: Record<DeliveryOutcome, number> = { delayed: 0, delivered: 1, bounced: 2, complained: 3 };

const OUTCOME_OF: Record<string, DeliveryOutcome> = {
  "email.delivered": "delivered",
  "email.delivery_delayed": "delayed",
  "email.bounced": "bounced",
  "email.complained": "complained",
};

/** The signature headers of a request (`svix-*`, or the `webhook-*` names of Standard Webhooks). */
export interface WebhookHeaders {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
}

/** Reads the signature headers of a request. */
export function webhookHeaders(headers: Headers): WebhookHeaders {
  return {
    id: headers.get("svix-id") ?? headers.get("webhook-id"),
    timestamp: headers.get("svix-timestamp") ?? headers.get("webhook-timestamp"),
    signature: headers.get("svix-signature") ?? headers.get("webhook-signature"),
  };
}

/** The answer to a webhook request: `recorded` when it changed an outbox row. */
export type WebhookResult =
  | { status: 200; outcome: "recorded" | "ignored"; type: string }
  | { status: 401; reason: "bad_signature" | "replayed" }
  | { status: 400; reason: "malformed" };

interface EmailEvent {
  type?: unknown;
  created_at?: unknown;
  data?: { email_id?: unknown; bounce?: { message?: unknown; type?: unknown; subType?: unknown } };
}

/** Verifies a webhook request with `secret` and records what it says, in one transaction. */
export function receiveWebhook(
  db: Db,
  { payload, headers, secret, now = Date.now() }: { payload: string; headers: WebhookHeaders; secret: string; now?: number },
): WebhookResult {
  if (!headers.id || !headers.timestamp || !headers.signature) return { status: 401, reason: "bad_signature" };
  let event: EmailEvent;
  try {
    // The SDK needs no API key to verify; the placeholder is never sent anywhere.
    event = new Resend(process.env.RESEND_API_KEY || "re_verify_only").webhooks.verify({
      payload,
      headers: { id: headers.id, timestamp: headers.timestamp, signature: headers.signature },
      webhookSecret: secret,
    }) as EmailEvent;
  } catch (error) {
    if ((error as Error)?.name === "WebhookVerificationError") return { status: 401, reason: "bad_signature" };
    return { status: 400, reason: "malformed" };
  }
  if (!event || typeof event !== "object" || typeof event.type !== "string") return { status: 400, reason: "malformed" };
  const type = event.type;
  const deliveryId = headers.id;

  return db.transaction(
    (tx): WebhookResult => {
      if (tx.select({ id: mailWebhookEvents.id }).from(mailWebhookEvents).where(eq(mailWebhookEvents.id, deliveryId)).get())
        return { status: 401, reason: "replayed" };
      tx.delete(mailWebhookEvents)
        .where(lt(mailWebhookEvents.receivedAt, new Date(now - REPLAY_MEMORY_MS)))
        .run();
      tx.insert(mailWebhookEvents)
        .values({ id: deliveryId, type: type.slice(0, 100), receivedAt: new Date(now) })
        .run();

      const outcome = OUTCOME_OF[type];
      const emailId = event.data?.email_id;
      if (!outcome || typeof emailId !== "string" || emailId === "") return { status: 200, outcome: "ignored", type };
      const row = tx
        .select({ id: outbox.id, delivery: outbox.delivery, template: outbox.template, registrationId: outbox.registrationId })
        .from(outbox)
        .where(eq(outbox.providerMessageId, emailId))
        .get();
      if (!row) return { status: 200, outcome: "ignored", type };
      if (row.delivery && RANK[row.delivery] > RANK[outcome]) return { status: 200, outcome: "ignored", type };
      const at =
        typeof event.created_at === "string" && !Number.isNaN(Date.parse(event.created_at)) ? new Date(event.created_at) : new Date(now);
      const detail = outcome === "bounced" ? bounceDetail(event.data?.bounce) : null;
      tx.update(outbox).set({ delivery: outcome, deliveryDetail: detail, deliveryAt: at }).where(eq(outbox.id, row.id)).run();
      if (outcome === "bounced" && row.template === "registration.confirm_address" && row.registrationId !== null) {
        tx.update(registrations).set({ emailBouncedAt: at, emailBounce: detail }).where(eq(registrations.id, row.registrationId)).run();
      }
      return { status: 200, outcome: "recorded", type };
    },
    { behavior: "immediate" },
  );
}

/** The provider's reason for a bounce, one line: "Permanent (General): The recipient's mailbox does not exist". */
function bounceDetail(bounce: { message?: unknown; type?: unknown; subType?: unknown } | undefined): string {
  const text = (v: unknown) => (typeof v === "string" ? v.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ").trim() : "");
  const kind = [text(bounce?.type), text(bounce?.subType) && `(${text(bounce?.subType)})`].filter(Boolean).join(" ");
  const message = text(bounce?.message);
  return ([kind, message].filter(Boolean).join(": ") || "Bounced").slice(0, 500);
}
