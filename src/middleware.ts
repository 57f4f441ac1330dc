import { defineMiddleware, sequence } from "astro:middleware";
import { ANONYMOUS } from "./lib/programme/audience.ts";
import { currentEdge, directEdge } from "./web/edge.ts";
import { principalOf, viewerOf } from "./web/principal.ts";
import { SECURITY_HEADERS, etagOf } from "./web/http.ts";
import {
  compressBody,
  encodedEtag,
  isCompressible,
  matchesAnyEncoding,
  MIN_COMPRESS_BYTES,
  negotiateEncoding,
  withVary,
} from "./web/compression.ts";
import { CACHE_KEY_HEADER, isPublicRoute, offerToCache, SHARED_CACHE_CONTROL, type Entry } from "./web/response-cache.ts";
import { limitActionBody } from "./web/action-body-limit.ts";
import { answerFormAction } from "./web/form-redirects.ts";
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

/** Names the route for the request's log line and metrics (never the path: it may hold a token), and fills `locals.edge` (who the client is, from the server's own listener), `locals.principal` (the session cookie) and `locals.viewer`. */
const identify = defineMiddleware((context, next) => {
  noteRoute(context.routePattern);
  context.locals.principal = null;
  context.locals.viewer = ANONYMOUS;
  context.locals.edge = PRERENDERED_EDGE;
  if (!context.isPrerendered) {
    context.locals.edge = currentEdge() ?? directEdge(context.clientAddress, context.url, context.request.headers);
    context.locals.principal = principalOf(context.cookies, context.url);
    context.locals.viewer = viewerOf(context.locals.principal);
  }
  return next();
});

/** Answers before the page when it can: a refused body (not a form, too large), or a registration accepted and answered 303 without rendering the page. */
const answerEarly = defineMiddleware(
  async (context, next) =>
    refuseNonFormAction(context.request, context.url) ?? (await limitActionBody(context)) ?? (await answerFormAction(context)) ?? next(),
);

/** Adds the security headers (CSP and the rest) to every answer that does not set its own. */
const secure = defineMiddleware(async (_context, next) => {
  const response = await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
});

/**
 * Every dynamic answer may depend on who asks (the audience rule, the star buttons, the account
 * link): caches must key it by the cookie, and never share one made for a signed-in person.
 */
const keyByViewer = defineMiddleware(async (context, next) => {
  const response = await next();
  if (!context.isPrerendered) {
    if (!/(^|,)\s*(cookie|\*)\s*(,|$)/i.test(response.headers.get("Vary") ?? "")) response.headers.append("Vary", "Cookie");
    if (context.locals.principal && !response.headers.has("Cache-Control")) response.headers.set("Cache-Control", "private, no-cache");
  }
  return response;
});

/**
 * Gives every successful GET a validator so that conditional requests are answered with 304,
 * stores a public answer to an anonymous visitor in the listener's cache (decision 29), and
 * compresses text on the fly.
 */
const validateAndCache = defineMiddleware(async (context, next) => {
  const response = await next();
  const method = context.request.method;
  const publicAnswer = !context.isPrerendered && !context.locals.principal && isPublicRoute(context.routePattern);
  if ((method !== "GET" && method !== "HEAD") || response.status !== 200 || response.headers.has("ETag")) return response;
  // Private pages (a registration's own) are never stored anywhere, so they need no validator.
  if (response.headers.get("Cache-Control")?.includes("no-store")) return response;

  const body = new Uint8Array(await response.arrayBuffer()) as Uint8Array<ArrayBuffer>;
  const etag = etagOf(body);
  const setsCookie = !context.cookies.headers().next().done;
  // A public answer to an anonymous visitor: stored by the listener's cache under the key it gave
  // (decision 29), and shareable by a CDN or nginx for a few seconds.
  if (publicAnswer && !setsCookie) {
    const key = context.request.headers.get(CACHE_KEY_HEADER);
    const entry = method === "GET" && key ? offerToCache(key, { headers: response.headers, body, etag }) : null;
    if (entry) return answerFromEntry(entry, context.request);
    if (!response.headers.has("Cache-Control")) response.headers.set("Cache-Control", SHARED_CACHE_CONTROL);
  }
  return answerCompressed(context.request, response, body, etag);
});

/**
 * One function per job. The answer comes back through them in the reverse order: the security
 * headers and the viewer's Vary and Cache-Control are on it before it is validated, stored and
 * compressed (the cache keeps the headers it is given).
 */
export const onRequest = sequence(identify, validateAndCache, keyByViewer, secure, answerEarly);

/** The answer of a stored entry, as the listener would send it on a hit. */
function answerFromEntry(entry: Entry, request: Request): Response {
  const encoding = negotiateEncoding(request.headers.get("accept-encoding"));
  const variant = (encoding && entry[encoding]) || entry.identity;
  if (matchesAnyEncoding(request.headers.get("If-None-Match"), entry.etag))
    return new Response(null, { status: 304, headers: variant.notModified });
  const headers = new Headers(variant.headers);
  headers.delete("Content-Length");
  headers.set("X-Cache", "miss");
  return new Response(request.method === "HEAD" ? null : new Uint8Array(variant.body), { status: 200, headers });
}

/**
 * A 200 with its validator (per encoding), 304 when the client has it, compressed on the fly when
 * the client accepts it and the body is text over 1 KiB.
 */
function answerCompressed(request: Request, response: Response, body: Uint8Array<ArrayBuffer>, etag: string): Response {
  const headers = new Headers(response.headers);
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-cache");
  const compressible =
    isCompressible(headers.get("Content-Type")) && body.byteLength >= MIN_COMPRESS_BYTES && !headers.has("Content-Encoding");
  const encoding = compressible ? negotiateEncoding(request.headers.get("accept-encoding")) : null;
  if (compressible) headers.set("Vary", withVary(headers.get("Vary"), "Accept-Encoding"));
  headers.set("ETag", encodedEtag(etag, encoding));
  if (matchesAnyEncoding(request.headers.get("If-None-Match"), etag)) {
    headers.delete("Content-Length");
    headers.delete("Content-Type");
    return new Response(null, { status: 304, headers });
  }
  if (!encoding || request.method === "HEAD") return new Response(body, { status: 200, headers });
  headers.set("Content-Encoding", encoding);
  headers.delete("Content-Length");
  return new Response(new Uint8Array(compressBody(body, encoding)), { status: 200, headers });
}
