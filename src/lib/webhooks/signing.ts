import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The signature scheme of the organizers' webhooks, Standard Webhooks' (docs/webhooks.md): the
 * secret is `whsec_` and 32 random bytes in base64; each request carries `webhook-id` (the event's
 * id, the same at every attempt), `webhook-timestamp` (seconds since the epoch, at this attempt) and
 * `webhook-signature: v1,<base64 of HMAC-SHA256(secret bytes, "<id>.<timestamp>.<body>")>`.
 */

const PREFIX = "whsec_";

/** A new endpoint secret, as shown once to the organizer. */
export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString("base64");
}

/** The key bytes of a secret (the base64 after `whsec_`). */
function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, "base64");
}

/** The `v1,<base64>` signature of one request. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return "v1," + createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/** The headers of one attempt (besides Content-Type). */
export function webhookHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(secret, id, timestamp, body),
  };
}

/**
 * What a receiver does (the docs' snippet, tested): true when one of the space-separated `v1,`
 * signatures matches and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, timestamp, body).slice(3), "base64");
  return headers.signature.split(" ").some((part) => {
    const [version, value] = part.split(",");
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The last characters of a secret, shown beside an endpoint so the organizers can tell which one a receiver holds. */
export function secretHint(secret: string): string {
  return secret.slice(-4);
}
