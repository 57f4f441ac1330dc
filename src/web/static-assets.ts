import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import {
  compressBody,
  encodedEtag,
  isCompressible,
  matchesAnyEncoding,
  MIN_COMPRESS_BYTES,
  negotiateEncoding,
  type Encoding,
} from "./compression.ts";

/**
 * The build's hashed assets (`/_astro/*`: CSS, scripts, fonts), read once at start and compressed
 * once (brotli and gzip), then answered from memory by the listener with a year of immutable
 * caching and `nosniff`. A name that is not in the build goes on to Astro (its 404).
 */

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

export const IMMUTABLE = "public, max-age=31536000, immutable";

interface Variant {
  headers: Record<string, string>;
  body: Buffer;
}

interface Asset {
  etag: string;
  variants: { identity: Variant } & Partial<Record<Encoding, Variant>>;
  notModified: Record<string, string>;
}

/** Reads every file under `dir` (the build's `client/_astro`) into memory, keyed by URL path (`/_astro/...`). */
export function loadStaticAssets(dir: string, prefix = "/_astro/"): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let entries: { name: string; parentPath: string; isFile(): boolean }[];
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return assets;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const body = readFileSync(path);
    const type = TYPES[extname(entry.name).toLowerCase()] ?? "application/octet-stream";
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
    const compress = isCompressible(type) && body.byteLength >= MIN_COMPRESS_BYTES;
    const common = {
      "Content-Type": type,
      "Cache-Control": IMMUTABLE,
      "X-Content-Type-Options": "nosniff",
      ...(compress ? { Vary: "Accept-Encoding" } : {}),
    };
    const variant = (bytes: Buffer, encoding: Encoding | null) => ({
      body: bytes,
      headers: {
        ...common,
        ETag: encodedEtag(etag, encoding),
        "Content-Length": String(bytes.byteLength),
        ...(encoding ? { "Content-Encoding": encoding } : {}),
      },
    });
    const asset: Asset = {
      etag,
      variants: { identity: variant(body, null) },
      notModified: { "Cache-Control": IMMUTABLE, ETag: etag, ...(compress ? { Vary: "Accept-Encoding" } : {}) },
    };
    if (compress) {
      asset.variants.br = variant(compressBody(body, "br", true), "br");
      asset.variants.gzip = variant(compressBody(body, "gzip", true), "gzip");
    }
    const relative = path
      .slice(dir.length)
      .replace(/^[\\/]+/, "")
      .split(/[\\/]/)
      .join("/");
    assets.set(prefix + relative, asset);
  }
  return assets;
}

/** Answers `/_astro/<file>` from memory; returns false (nothing sent) when the file is not in the build. */
export function sendStaticAsset(assets: Map<string, Asset>, req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? "/";
  const mark = url.indexOf("?");
  const asset = assets.get(mark < 0 ? url : url.slice(0, mark));
  if (!asset) return false;
  const encoding = negotiateEncoding(req.headers["accept-encoding"]);
  const variant = (encoding && asset.variants[encoding]) || asset.variants.identity;
  if (matchesAnyEncoding(req.headers["if-none-match"], asset.etag)) {
    res.writeHead(304, { ...asset.notModified, ETag: variant.headers.ETag });
    res.end();
    return true;
  }
  res.writeHead(200, variant.headers);
  if (req.method === "HEAD") res.end();
  else res.end(variant.body);
  return true;
}
