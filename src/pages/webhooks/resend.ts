import type { APIRoute } from "astro";
import { MAX_WEBHOOK_BYTES, receiveWebhook, webhookHeaders } from "../../lib/email/webhook.ts";
import { readBoundedText } from "../../web/http.ts";
import { getDb } from "../../web/runtime.ts";

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
  const body = await readBoundedText(request, MAX_WEBHOOK_BYTES);
  if (body === undefined) return text(413, "Too large");
  const result = receiveWebhook(getDb(), { payload: body, headers: webhookHeaders(request.headers), secret });
  if (result.status === 401) return text(401, result.reason === "replayed" ? "Already received" : "Invalid signature");
  if (result.status === 400) return text(400, "Malformed event");
  return text(200, result.outcome);
};

export const ALL: APIRoute = () => text(405, "Method not allowed", { Allow: "POST" });
