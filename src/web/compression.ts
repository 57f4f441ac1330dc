import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/**
 * Compression of dynamic answers, shared by the middleware (answers rendered now) and the response
 * cache (answers compressed once when stored). Only the server's own code compresses: a proxy in
 * front passes the encoded bytes on.
 *
 * ETags are per encoding: `"<hash>"` for the identity bytes, `"<hash>-gz"` and `"<hash>-br"` for the
 * encoded ones (strong validators must differ when the bytes differ, RFC 9110 8.8.3), and a
 * conditional request matches whatever encoding its validator names, since all three stand for the
 * same representation data.
 */

export type Encoding = "br" | "gzip";

/** Smallest body worth compressing: below it the frame costs more than it saves. */
export const MIN_COMPRESS_BYTES = 1024;

const COMPRESSIBLE = /^(text\/|application\/(json|xml|rss\+xml|atom\+xml|javascript|manifest\+json)|image\/svg\+xml)/i;

/** True for a content type whose bytes shrink (HTML, CSS, JS, JSON, XML, iCalendar, SVG...). */
export function isCompressible(contentType: string | null | undefined): boolean {
  return !!contentType && COMPRESSIBLE.test(contentType);
}

/**
 * The encoding to send for an Accept-Encoding header: brotli when accepted, else gzip, else none.
 * A coding listed with `q=0` is refused; `*` stands for any coding not named.
 */
export function negotiateEncoding(header: string | null | undefined): Encoding | null {
  if (!header) return null;
  const q = new Map<string, number>();
  for (const part of header.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    const weight = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = weight ? Number(weight.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepts = (name: string) => (q.get(name) ?? q.get("*") ?? 0) > 0;
  if (accepts("br")) return "br";
  if (accepts("gzip") || (q.get("x-gzip") ?? 0) > 0) return "gzip";
  return null;
}

/** Brotli quality for answers compressed while the client waits, and for answers compressed once and kept. */
export const BROTLI_QUALITY = { now: 4, kept: 6 } as const;

/** The body in `encoding`; `kept` spends more time for answers that are stored and sent many times. */
export function compressBody(body: Uint8Array, encoding: Encoding, kept = false): Buffer {
  if (encoding === "gzip") return gzipSync(body, { level: kept ? 9 : 6 });
  return brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: kept ? BROTLI_QUALITY.kept : BROTLI_QUALITY.now,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
}

const SUFFIX: Record<Encoding, string> = { br: "-br", gzip: "-gz" };

/** The validator of the `encoding` variant of a representation whose identity ETag is `etag`. */
export function encodedEtag(etag: string, encoding: Encoding | null): string {
  if (!encoding) return etag;
  return etag.endsWith('"') ? `${etag.slice(0, -1)}${SUFFIX[encoding]}"` : etag + SUFFIX[encoding];
}

/** The identity validator behind an encoded one (`W/` and the encoding suffix removed). */
function baseOf(tag: string): string {
  return tag
    .trim()
    .replace(/^W\//, "")
    .replace(/-(br|gz)"$/, '"');
}

/**
 * True when If-None-Match lists the representation `etag` (identity validator) in any encoding, or
 * `*`: weak comparison, as RFC 9110 asks for GET and HEAD.
 */
export function matchesAnyEncoding(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  const base = baseOf(etag);
  return header.split(",").some((tag) => tag.trim() === "*" || baseOf(tag) === base);
}

/** Adds `name` to a Vary header value unless it is there (or `*` is). */
export function withVary(current: string | null | undefined, name: string): string {
  const names = (current ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.some((n) => n === "*" || n.toLowerCase() === name.toLowerCase())) return names.join(", ");
  return [...names, name].join(", ");
}
