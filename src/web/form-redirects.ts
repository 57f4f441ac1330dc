import { getActionContext } from "astro:actions";
import type { APIContext } from "astro";
import { asLocale, localizePath, type Locale } from "../i18n/index.ts";

/**
 * Form Actions whose success is a POST-redirect-GET answered by the middleware, before any page is
 * looked at (decision 35): the Action runs exactly as Astro would run it (the same `defineAction`,
 * its zod schema, its handler), and a success is a bare 303; only a refusal goes on to the page,
 * which renders the form with the result, as before. A burst of registrations thus costs no page
 * render (the page's frontmatter, its data, Astro's page pipeline) per accepted form.
 *
 * Each entry names the pages the form is posted to (route patterns) and where a success goes. An
 * Action posted to any other page runs the usual way (Astro's own Action handling, then the page).
 */
const REDIRECTS: ReadonlyMap<string, { routes: readonly string[]; to: (locale: Locale) => string }> = new Map([
  ["register", { routes: ["/register", "/fr/register"], to: (locale: Locale) => localizePath("/register/sent", locale) }],
]);

/** Whether the middleware answers a success of the Action `name` posted to the route `routePattern`. */
export function redirectsOnSuccess(name: string, routePattern: string): boolean {
  return REDIRECTS.get(name)?.routes.includes(routePattern) ?? false;
}

/** The form types Astro's origin check looks at (a POST of another type without a same Origin is refused too). */
const FORM_LIKE = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

/**
 * Astro's own origin check (`security.checkOrigin`), as it applies it to an Action: a form-like POST
 * whose Origin is not the site's. Such a request is left to Astro, which refuses it with its 403.
 */
function crossOrigin(request: Request, url: URL): boolean {
  const sameOrigin = request.headers.get("origin") === url.origin;
  const type = request.headers.get("content-type");
  if (type === null) return !sameOrigin;
  const lower = type.toLowerCase();
  return FORM_LIKE.some((t) => lower.includes(t)) && !sameOrigin;
}

/**
 * Runs a redirect-on-success form Action (REDIRECTS) and answers its success with 303; on a refusal
 * hands the result to the page (as Astro's Action handling would) and returns undefined, as it does
 * for every other request.
 */
export async function answerFormAction(context: APIContext): Promise<Response | undefined> {
  if (context.request.method !== "POST" || context.isPrerendered) return undefined;
  const name = context.url.searchParams.get("_action");
  if (!name || !redirectsOnSuccess(name, context.routePattern)) return undefined;
  if (crossOrigin(context.request, context.url)) return undefined;
  const { action, setActionResult, serializeActionResult } = getActionContext(context);
  if (!action || action.calledFrom !== "form") return undefined;
  const result = await action.handler();
  if (!result.error) {
    return new Response(null, {
      status: 303,
      headers: { Location: REDIRECTS.get(name)!.to(asLocale(context.currentLocale)), "Cache-Control": "no-store" },
    });
  }
  setActionResult(action.name, serializeActionResult(result));
  return undefined;
}
