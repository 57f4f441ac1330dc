import type { APIRoute } from "astro";
import { decide } from "../../../../lib/auth/guard.ts";
import { outboxMessage } from "../../../../lib/email/admin.ts";
import { sandboxedHtml } from "../../../../web/mail-previews.ts";
import { getDb } from "../../../../web/runtime.ts";
import { renderOutboxMessage } from "../../../../components/pages/mailstaff-state.ts";

/**
 * The HTML of one outbox message as it goes out (its private links and codes redacted), for the
 * sandboxed frame of its page (/admin/mail/<id>): for those who may read the outbox (`mail.view`).
 */
export const GET: APIRoute = async ({ params, url, locals }) => {
  const decision = decide(locals.principal, "mail.view", url.pathname + url.search);
  if (!decision.ok) {
    if (decision.status === 303) return new Response(null, { status: 303, headers: { Location: decision.location } });
    return new Response("Forbidden\n", {
      status: 403,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const message = outboxMessage(getDb(), String(params.id ?? ""));
  const rendered = message ? await renderOutboxMessage(message) : undefined;
  if (!rendered)
    return sandboxedHtml(
      '<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Not found</title><p>No such message.</p></html>\n',
      404,
    );
  return sandboxedHtml(rendered.html, 200);
};
