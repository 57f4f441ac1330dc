import type { APIRoute } from "astro";
import { asLocale } from "../../../../i18n/index.ts";
import { findByToken } from "../../../../lib/registration/service.ts";
import { ticketDetails, ticketPng } from "../../../../lib/registration/ticket-document.ts";
import { getAppKey, getEdition, registrationDeps } from "../../../../web/runtime.ts";

/** The ticket as an image (for a phone), for a confirmed registration's own private link only; `?lang=` picks its language. */
export const GET: APIRoute = async ({ params, url }) => {
  const registration = findByToken(registrationDeps(), params.token ?? "");
  if (!registration || registration.status !== "confirmed") return new Response("Not found\n", { status: 404, headers: PRIVATE_TEXT });
  const language = asLocale(url.searchParams.get("lang") ?? registration.language);
  const png = await ticketPng(ticketDetails(getEdition(), registration, language, getAppKey()));
  return new Response(new Uint8Array(png), {
    headers: { "Content-Type": "image/png", "Content-Disposition": 'attachment; filename="ticket.png"', ...PRIVATE },
  });
};

const PRIVATE = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };
const PRIVATE_TEXT = { ...PRIVATE, "Content-Type": "text/plain; charset=utf-8" };
