import { defineMiddleware } from "astro:middleware";
import { ANONYMOUS } from "./lib/programme/audience.ts";
import { currentEdge, directEdge } from "./lib/server/edge.ts";
import { principalOf, viewerOf } from "./lib/server/principal.ts";
import { SECURITY_HEADERS, etagOf, matchesIfNoneMatch } from "./lib/server/http.ts";
import { limitActionBody } from "./lib/server/action-body-limit.ts";
import { noteRoute } from "./lib/observability/request-context.ts";

const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

/**
 * Every Action of the site takes a form. Anything else posted to one (JSON, malformed or not, text)
 * is answered 415 here, before Astro tries to parse it (a malformed JSON body would be a 500).
 */
function refuseNonFormAction(request: Request, url: URL): Response | undefined {
  if (request.method !== "POST") return undefined;
  if (!url.searchParams.has("_action") && !url.pathname.startsWith("/_actions/")) return undefined;
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (FORM_TYPES.includes(type)) return undefined;
  return new Response("Forms only: send application/x-www-form-urlencoded or multipart/form-data.\n", {
    status: 415,
    headers: { "Content-Type": "text/plain; charset=utf-8", Accept: FORM_TYPES.join(", ") },
  });
}

const PRERENDERED_EDGE = { client: "", peer: "", protocol: "http", host: null, proxied: false } as const;

/**
 * Fills `locals.edge` (who the client is, from the server's own listener), `locals.principal` (the
 * session cookie) and `locals.viewer`, adds the security headers, and gives every successful GET a
 * validator so that conditional requests are answered with 304.
 */
export const onRequest = defineMiddleware(async (context, next) => {
  // The request's log line and metrics name the route, never the path (it may hold a token).
  noteRoute(context.routePattern);
  context.locals.principal = null;
  context.locals.viewer = ANONYMOUS;
  context.locals.edge = PRERENDERED_EDGE;
  if (!context.isPrerendered) {
    context.locals.edge = currentEdge() ?? directEdge(context.clientAddress, context.url, context.request.headers);
    context.locals.principal = principalOf(context.cookies, context.url);
    context.locals.viewer = viewerOf(context.locals.principal);
  }
  const refused = refuseNonFormAction(context.request, context.url) ?? (await limitActionBody(context));
  const response = refused ?? (await next());
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  // Every dynamic answer may depend on who asks (the audience rule, the star buttons, the account
  // link): caches must key it by the cookie, and never share one made for a signed-in person.
  if (!context.isPrerendered) {
    if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(response.headers.get("Vary") ?? "")) response.headers.append("Vary", "Cookie");
    if (context.locals.principal && !response.headers.has("Cache-Control")) response.headers.set("Cache-Control", "private, no-cache");
  }
  const method = context.request.method;
  if ((method !== "GET" && method !== "HEAD") || response.status !== 200 || response.headers.has("ETag")) return response;
  // Private pages (a registration's own) are never stored anywhere, so they need no validator.
  if (response.headers.get("Cache-Control")?.includes("no-store")) return response;

  const body = await response.arrayBuffer();
  const etag = etagOf(body);
  const headers = new Headers(response.headers);
  headers.set("ETag", etag);
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-cache");
  if (matchesIfNoneMatch(context.request.headers.get("If-None-Match"), etag)) {
    headers.delete("Content-Length");
    headers.delete("Content-Type");
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: 200, headers });
});
