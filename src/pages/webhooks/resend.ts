import type { APIRoute } from "astro";
import { MAX_WEBHOOK_BYTES, receiveWebhook, webhookHeaders } from "../../lib/email/webhook.ts";
import { getDb } from "../../lib/server/runtime.ts";

/**
 * Resend's webhook (delivered, delayed, bounced, complained): signed with RESEND_WEBHOOK_SECRET in
 * the Svix scheme; a bad, stale or replayed signature gets 401 and records nothing. Absent without
 * the secret. Configure it in Resend as `<SITE_URL>/webhooks/resend`.
 */

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers } });

export const POST: APIRoute = async ({ request }) => {
  const secret = process.env.RESEND_WEBHOOK_SECRET;
  if (!secret) return text(404, "Not found");
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_WEBHOOK_BYTES) return text(413, "Too large");
  const body = await readBounded(request, MAX_WEBHOOK_BYTES);
  if (body === undefined) return text(413, "Too large");
  const result = receiveWebhook(getDb(), { payload: body, headers: webhookHeaders(request.headers), secret });
  if (result.status === 401) return text(401, result.reason === "replayed" ? "Already received" : "Invalid signature");
  if (result.status === 400) return text(400, "Malformed event");
  return text(200, result.outcome);
};

export const ALL: APIRoute = () => text(405, "Method not allowed", { Allow: "POST" });

/** The body as text, or undefined past `limit` bytes. */
async function readBounded(request: Request, limit: number): Promise<string | undefined> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
