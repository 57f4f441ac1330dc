import type { APIRoute } from "astro";
import { readMailboxAttachment } from "../../../../../lib/email/mailbox.ts";
import { mailboxFolder, mailboxPageEnabled, notFound } from "../../../../../web/mailbox-page.ts";

/** An attachment of a mailbox message (the ticket QR code, the calendar file). */
export const GET: APIRoute = async ({ params, locals, request }) => {
  if (!mailboxPageEnabled(locals.edge, request.headers)) return notFound();
  const attachment = await readMailboxAttachment(mailboxFolder(), params.file ?? "", params.name ?? "");
  if (!attachment) return notFound();
  return new Response(new Uint8Array(attachment.content), {
    headers: { "Content-Type": attachment.contentType, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
  });
};
