import type { APIRoute } from "astro";
import { asLocale, t } from "../../../../i18n/index.ts";
import { attendanceDays, certificateDetails, certificatePdf } from "../../../../lib/registration/certificate.ts";
import { findByToken } from "../../../../lib/registration/service.ts";
import { getDb, getEdition, registrationDeps } from "../../../../web/runtime.ts";

/**
 * The certificate of attendance (PDF), for a registration's own private link only, once it was
 * checked in at least once; `?lang=` picks its language (the attendee's by default).
 */
export const GET: APIRoute = async ({ params, url }) => {
  const registration = findByToken(registrationDeps(), params.token ?? "");
  const language = asLocale(url.searchParams.get("lang") ?? registration?.language ?? "en");
  const edition = getEdition();
  const days = registration ? attendanceDays(getDb(), registration.id, edition.timezone) : [];
  if (!registration || days.length === 0)
    return new Response(`${t(language).certificate.notFound}\n`, { status: 404, headers: PRIVATE_TEXT });
  const pdf = await certificatePdf(certificateDetails(edition, registration, days, language));
  return new Response(new Uint8Array(pdf), {
    headers: {
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="${t(language).certificate.fileName}"`,
      ...PRIVATE,
    },
  });
};

const PRIVATE = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };
const PRIVATE_TEXT = { ...PRIVATE, "Content-Type": "text/plain; charset=utf-8" };
