import type { APIRoute } from "astro";
import { t } from "../../../../i18n/index.ts";
import { decide } from "../../../../lib/auth/guard.ts";
import { escapeMarkup } from "../../../../lib/markup.ts";
import { previewHtml, sandboxedHtml } from "../../../../web/mail-previews.ts";

/**
 * The HTML of an announcement preview, for the compose page's sandboxed frame: only its author
 * (`mail.send`) sees it; the e-mail's inline styles are allowed, nothing else runs or loads, and
 * only this site may frame it.
 */
export const GET: APIRoute = ({ params, url, locals }) => {
  const decision = decide(locals.principal, "mail.send", url.pathname + url.search);
  if (!decision.ok) {
    if (decision.status === 303) return new Response(null, { status: 303, headers: { Location: decision.location } });
    return text("Forbidden\n", 403);
  }
  const language = url.searchParams.get("lang") === "fr" ? "fr" : "en";
  const html = previewHtml(params.id ?? "", locals.principal!.user.id, language);
  if (html === undefined) {
    const expired = `${t("en").mailstaff.compose.expired}\n${t("fr").mailstaff.compose.expired}`;
    return sandboxedHtml(
      `<!DOCTYPE html><html lang="en"><meta charset="utf-8"><title>Preview</title><p>${escapeMarkup(expired).replace("\n", '</p><p lang="fr">')}</p></html>\n`,
      404,
    );
  }
  return sandboxedHtml(html, 200);
};

function text(body: string, status: number): Response {
  return new Response(body, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}
