import type { APIRoute } from "astro";
import { findByToken, ticketSecretOf } from "../../../../lib/registration/service.ts";
import { ticketQrPng } from "../../../../lib/registration/ticket.ts";
import { getAppKey, registrationDeps } from "../../../../lib/server/runtime.ts";

/** The ticket's QR code, for a confirmed registration's own private link only. */
export const GET: APIRoute = async ({ params }) => {
  const registration = findByToken(registrationDeps(), params.token ?? "");
  if (!registration || registration.status !== "confirmed") return new Response("Not found\n", { status: 404, headers: PRIVATE_TEXT });
  const png = await ticketQrPng(ticketSecretOf(getAppKey(), registration));
  return new Response(new Uint8Array(png), {
    headers: { "Content-Type": "image/png", "Content-Disposition": 'attachment; filename="ticket.png"', ...PRIVATE },
  });
};

const PRIVATE = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };
const PRIVATE_TEXT = { ...PRIVATE, "Content-Type": "text/plain; charset=utf-8" };
