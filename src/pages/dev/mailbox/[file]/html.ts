import type { APIRoute } from "astro";
import { readMailboxMessage } from "../../../../lib/email/mailbox.ts";
import { mailboxFolder, mailboxPageEnabled, notFound } from "../../../../web/mailbox-page.ts";

/** The HTML version of a mailbox message, sandboxed: its inline images point at the attachments. */
export const GET: APIRoute = async ({ params, locals, request }) => {
  if (!mailboxPageEnabled(locals.edge, request.headers)) return notFound();
  const message = await readMailboxMessage(mailboxFolder(), params.file ?? "");
  if (!message) return notFound();
  const base = `/dev/mailbox/${encodeURIComponent(message.file)}/attachments/`;
  let html = message.html;
  for (const a of message.attachments) {
    if (a.contentId) html = html.replaceAll(`cid:${a.contentId}`, base + encodeURIComponent(a.filename));
  }
  return new Response(html, {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      // E-mail HTML uses inline styles; nothing else runs, and the page is its own sandboxed origin.
      "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
    },
  });
};
