import { createHash } from "node:crypto";

/** Content-Security-Policy of every response: no inline script or style, nothing from elsewhere. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Security headers added to every dynamic response. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "X-Frame-Options": "DENY",
  "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/**
 * Referrer-Policy of private pages (a private link, a sign-in link, the organizers' area): other
 * sites, and this site's own stylesheet and script requests, learn the origin only, never the path,
 * where a page's token lives (a proxy's access log records the Referer of every request). Not
 * "no-referrer": browsers then send `Origin: null` with the page's own forms, which the CSRF origin
 * check rightly refuses; "strict-origin" keeps the Origin of a same-site form.
 */
export const PRIVATE_REFERRER_POLICY = "strict-origin";

/** A strong validator of a response body. */
export function etagOf(body: ArrayBuffer | Uint8Array | string): string {
  const bytes = typeof body === "string" ? body : new Uint8Array(body);
  return `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"`;
}

/** True when an If-None-Match header lists `etag` (or `*`); weak comparison, as RFC 9110 asks for GET. */
export function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (!header) return false;
  const strip = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || strip(tag) === strip(etag));
}

/**
 * A request's body as UTF-8 text (invalid bytes replaced), or undefined as soon as it passes
 * `limit` bytes: a declared Content-Length over the limit is refused before reading, a body that
 * grows past it is cancelled without reading the rest.
 */
export async function readBoundedText(request: Request, limit: number): Promise<string | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) return undefined;
  const reader = request.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
