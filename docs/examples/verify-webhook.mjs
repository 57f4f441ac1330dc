// Verifies a webhook request from the Forum site (docs/webhooks.md). Node.js 18 or newer, no
// dependency. `secret` is the endpoint's `whsec_...` value, `headers` the request's headers (lower
// case names, as Node gives them), `body` the raw body as received, before any JSON parsing.
import { createHmac, timingSafeEqual } from "node:crypto";

export function verifyForumWebhook(secret, headers, body, toleranceSeconds = 300) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures) return false;
  // A stale or future timestamp is refused: a replayed request is worth nothing after a while.
  if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  // Several signatures may be sent, space-separated (`v1,<base64> v1,<base64>`): one must match.
  return signatures.split(" ").some((signature) => {
    const [version, value] = signature.split(",");
    const given = Buffer.from(value ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
