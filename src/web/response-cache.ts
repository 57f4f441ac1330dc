import { countCacheLookup } from "../lib/observability/hooks.ts";
import { unlocalizePath } from "../lib/locale.ts";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import Database from "better-sqlite3";
import {
  compressBody,
  isCompressible,
  matchesAnyEncoding,
  MIN_COMPRESS_BYTES,
  negotiateEncoding,
  encodedEtag,
  type Encoding,
} from "./compression.ts";

/**
 * The response cache of what the public reads (decision 29). It sits in the server's own listener
 * (scripts/serve.mjs), in front of the Astro handler: a hit is answered there, compressed bytes and
 * all, without Astro's pipeline. A miss goes to Astro with the cache key in an internal request
 * header; the middleware stores the answer under it (`offerToCache`) when the answer is public.
 *
 * The key holds everything such an answer depends on:
 * - the generation: the latest release and the programme's change counter (every programme table,
 *   speakers' photos included, bumps it), read from SQLite with one prepared statement per request,
 *   so a release made by any process shows on the next request everywhere; and a digest of the
 *   edition's content folder, taken at start;
 * - the viewer's class as the audience rule sees it. Only requests without a session cookie are
 *   cached (class `anonymous`): every page shown to a signed-in person carries personal parts (the
 *   account link, star buttons), so those are rendered each time and sent `private`;
 * - the path (which holds the language: `/fr/...`) and the query, when it holds only the programme's
 *   filters (`day`, `track`, `format`, `language`, `view`) with short slugs, once each; any other
 *   query (a search, a typo, a repeated filter) is rendered and not stored.
 *
 * Memory is bounded: an LRU by bytes (RESPONSE_CACHE_MB, default 32), every variant counted.
 * Concurrent misses of one key wait for the first render (a release followed by a thousand phones
 * renders each page once).
 */

/** Internal request header that carries the cache key from the listener to the middleware. */
export const CACHE_KEY_HEADER = "x-forum-cache-key";

/** Session cookie's name (src/lib/auth/sessions.ts); a request with it is a signed-in person's. */
const SESSION_COOKIE = "forum_session";

/** Query parameters that public pages read and that may be part of a key (the programme's filters). */
const KEY_PARAMS = new Set(["day", "track", "format", "language", "view"]);
const SLUG = /^[A-Za-z0-9-]{1,64}$/;

/** Routes whose anonymous answers are stored (English patterns; `/fr` twins and exports included). */
export const PUBLIC_ROUTES = new Set([
  "/",
  "/[page]",
  "/programme",
  "/speakers",
  "/speakers/[slug]",
  "/speakers/[slug].ics",
  "/sessions/[slug]",
  "/sessions/[slug].ics",
  "/changelog",
  "/changelog.rss",
  "/schedule.ics",
  "/schedule.json",
  "/schedule.xml",
  "/embed/schedule.js",
  "/embed/schedule.json",
  "/sitemap.xml",
  "/robots.txt",
  "/theme.css",
]);

/** True when answers of this Astro route pattern (e.g. `/fr/sessions/[slug]`) may be stored for anonymous visitors. */
export function isPublicRoute(pattern: string): boolean {
  return PUBLIC_ROUTES.has(unlocalizePath(pattern));
}

/**
 * The path and query of a request URL as a key, or null when it must not be looked up: a parameter
 * other than the programme's filters, a value that is no short slug, an empty or repeated one. The
 * query is kept in the order given: the pages echo it (the language switch keeps it).
 */
export function cacheTarget(url: string): string | null {
  const mark = url.indexOf("?");
  const path = mark < 0 ? url : url.slice(0, mark);
  if (!path.startsWith("/") || path.startsWith("//") || path.includes("%") || path.startsWith("/_") || path.length > 200) return null;
  if (mark < 0) return path;
  const query = url.slice(mark + 1);
  if (query === "") return null;
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(query)) {
    if (!KEY_PARAMS.has(name) || seen.has(name) || !SLUG.test(value)) return null;
    seen.add(name);
  }
  if (!/^[A-Za-z0-9=&-]+$/.test(query)) return null;
  return `${path}?${query}`;
}

/** True when a Cookie header carries a non-empty session cookie. */
export function hasSessionCookie(header: string | undefined): boolean {
  if (!header) return false;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE && part.slice(eq + 1).trim() !== "") return true;
  }
  return false;
}

/** A digest of every file of the edition's content folder (names and bytes), taken once. */
export function contentDigest(dir: string): string {
  const hash = createHash("sha256");
  const walk = (folder: string) => {
    let names: string[];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(folder, name);
      try {
        hash.update(path).update(readFileSync(path));
      } catch {
        walk(path);
      }
    }
  };
  walk(dir);
  return hash.digest("base64url").slice(0, 12);
}

/** What the middleware hands over: the answer's status, headers (without ETag), identity bytes and validator. */
export interface Offer {
  headers: Headers;
  body: Uint8Array;
  etag: string;
}

interface Variant {
  headers: Record<string, string>;
  notModified: Record<string, string>;
  body: Buffer;
}

/** A stored answer: its variants by encoding, compressed once. */
export interface Entry {
  key: string;
  etag: string;
  identity: Variant;
  gzip?: Variant;
  br?: Variant;
  bytes: number;
}

/** Headers never stored with an entry (the cache sets its own) or never sent from one. */
const DROPPED = new Set([
  "content-length",
  "content-encoding",
  "etag",
  "date",
  "set-cookie",
  "vary",
  "transfer-encoding",
  "connection",
  "keep-alive",
]);

/** Cache-Control of an answer any shared cache may keep a little (a CDN, nginx): fresh 10 s, then served stale while one request revalidates. */
export const SHARED_CACHE_CONTROL = "public, max-age=0, s-maxage=10, stale-while-revalidate=30";

/** Builds the stored form of an answer (every variant with its headers), or null when it cannot be stored. */
export function buildEntry(key: string, offer: Offer): Entry | null {
  if (offer.headers.has("set-cookie")) return null;
  const base: Record<string, string> = {};
  offer.headers.forEach((value, name) => {
    if (!DROPPED.has(name.toLowerCase())) base[name] = value;
  });
  base["Cache-Control"] = SHARED_CACHE_CONTROL;
  base["X-Cache"] = "hit";
  const identity = Buffer.from(offer.body.buffer, offer.body.byteOffset, offer.body.byteLength);
  const compress = isCompressible(offer.headers.get("content-type")) && identity.byteLength >= MIN_COMPRESS_BYTES;
  const vary = compress ? "Cookie, Accept-Encoding" : "Cookie";
  const variant = (body: Buffer, encoding: Encoding | null): Variant => {
    const etag = encodedEtag(offer.etag, encoding);
    const headers: Record<string, string> = { ...base, Vary: vary, ETag: etag, "Content-Length": String(body.byteLength) };
    if (encoding) headers["Content-Encoding"] = encoding;
    const notModified: Record<string, string> = { ETag: etag, Vary: vary, "Cache-Control": base["Cache-Control"] };
    // A revalidation from another site's page (the embedded schedule, decision 43) is read under CORS too.
    const cors = base["access-control-allow-origin"];
    if (cors) notModified["Access-Control-Allow-Origin"] = cors;
    return { headers, notModified, body };
  };
  const entry: Entry = { key, etag: offer.etag, identity: variant(identity, null), bytes: identity.byteLength + key.length + 512 };
  if (compress) {
    entry.gzip = variant(compressBody(identity, "gzip", true), "gzip");
    entry.br = variant(compressBody(identity, "br", true), "br");
    entry.bytes += entry.gzip.body.byteLength + entry.br.body.byteLength;
  }
  return entry;
}

/** Answers a request from a stored entry: the encoding the client accepts, 304 when its validator matches. */
export function sendEntry(entry: Entry, req: IncomingMessage, res: ServerResponse): void {
  const encoding = negotiateEncoding(req.headers["accept-encoding"]);
  const variant = (encoding && entry[encoding]) || entry.identity;
  if (matchesAnyEncoding(req.headers["if-none-match"], entry.etag)) {
    res.writeHead(304, variant.notModified);
    res.end();
    return;
  }
  res.writeHead(200, variant.headers);
  if (req.method === "HEAD") res.end();
  else res.end(variant.body);
}

/** A map in least-recently-used order, bounded by the bytes of its entries. */
export class ByteLru {
  #map = new Map<string, Entry>();
  #bytes = 0;
  readonly maxBytes: number;
  evictions = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get(key: string): Entry | undefined {
    const entry = this.#map.get(key);
    if (entry) {
      this.#map.delete(key);
      this.#map.set(key, entry);
    }
    return entry;
  }

  set(entry: Entry): boolean {
    if (entry.bytes > this.maxBytes) return false;
    this.delete(entry.key);
    this.#map.set(entry.key, entry);
    this.#bytes += entry.bytes;
    for (const [key, oldest] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(key);
      this.#bytes -= oldest.bytes;
      this.evictions++;
    }
    return true;
  }

  delete(key: string): void {
    const entry = this.#map.get(key);
    if (!entry) return;
    this.#map.delete(key);
    this.#bytes -= entry.bytes;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }
}

/** What a process's cache counts (for logs and metrics). */
export interface CacheStats {
  hits: number;
  misses: number;
  stores: number;
  bypasses: number;
  evictions: number;
  entries: number;
  bytes: number;
  generation: string | null;
}

export interface ResponseCacheOptions {
  /** The database file (DATABASE_PATH); only read. */
  databasePath: string;
  /** Byte cap of the stored answers. */
  maxBytes: number;
  /** The edition's content folder, digested once into every key. */
  contentDir: string;
}

/** The cache as the middleware sees it, through globalThis (the listener and the built app load separate copies of this module). */
interface Registered {
  offer(key: string, offer: Offer): Entry | null;
}
const REGISTRY = Symbol.for("forum.responseCache");

/**
 * Stores an answer under the key the listener gave its request, and returns the stored entry (so the
 * middleware answers with the bytes it compressed once), or null when nothing is stored (no listener
 * cache, an old generation, a cookie set). Called by the middleware only for public answers to
 * anonymous GETs.
 */
export function offerToCache(key: string, offer: Offer): Entry | null {
  const registered = (globalThis as Record<symbol, Registered | undefined>)[REGISTRY];
  return registered ? registered.offer(key, offer) : null;
}

/** The listener's response cache. `handle(req, res, next)` answers a hit or calls `next` (the Astro handler). */
export function createResponseCache(options: ResponseCacheOptions) {
  const lru = new ByteLru(options.maxBytes);
  const digest = contentDigest(options.contentDir);
  const stats = { hits: 0, misses: 0, stores: 0, bypasses: 0 };
  let generationOf: (() => string) | undefined;
  let connection: Database.Database | undefined;
  let current: string | null = null;
  /** Renders in flight, by key: later requests for the key wait for the first. */
  const inFlight = new Map<string, Promise<void>>();

  /** The generation (latest release and programme change counter), or null while the database cannot say. */
  function generation(): string | null {
    try {
      if (!generationOf) {
        connection ??= new Database(options.databasePath, { fileMustExist: true });
        connection.pragma("busy_timeout = 1000");
        const statement = connection
          .prepare(
            "select (select coalesce(max(id), 0) from schedule_releases) || '.' || coalesce((select value from change_counters where name = 'programme'), 0)",
          )
          .pluck();
        generationOf = () => statement.get() as string;
      }
      return generationOf();
    } catch {
      generationOf = undefined;
      return null;
    }
  }

  const registered: Registered = {
    offer(key, offer) {
      // An answer rendered for a generation that has passed is not stored.
      if (!key.startsWith(`${current}.${digest} `)) return null;
      const entry = buildEntry(key, offer);
      if (entry && lru.set(entry)) stats.stores++;
      return entry;
    },
  };
  (globalThis as Record<symbol, Registered>)[REGISTRY] = registered;

  function handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    delete req.headers[CACHE_KEY_HEADER];
    const method = req.method;
    if (method !== "GET" && method !== "HEAD") return next();
    const target = cacheTarget(req.url ?? "/");
    if (target === null || hasSessionCookie(req.headers.cookie)) {
      stats.bypasses++;
      return next();
    }
    const generationNow = generation();
    if (generationNow === null) return next();
    if (generationNow !== current) {
      lru.clear();
      current = generationNow;
    }
    const key = `${generationNow}.${digest} anonymous ${target}`;
    const entry = lru.get(key);
    if (entry) {
      stats.hits++;
      countCacheLookup("response", true);
      return sendEntry(entry, req, res);
    }
    const pending = inFlight.get(key);
    if (pending) {
      void pending.then(() => {
        const stored = lru.get(key);
        if (stored) {
          stats.hits++;
          countCacheLookup("response", true);
          sendEntry(stored, req, res);
        } else next();
      });
      return;
    }
    stats.misses++;
    countCacheLookup("response", false);
    if (method === "HEAD") return next();
    req.headers[CACHE_KEY_HEADER] = key;
    let settle: () => void = () => {};
    inFlight.set(key, new Promise<void>((resolve) => (settle = resolve)));
    res.once("close", () => {
      inFlight.delete(key);
      settle();
    });
    next();
  }

  return {
    handle,
    /** Counters and size, for logs and metrics. */
    stats(): CacheStats {
      return { ...stats, evictions: lru.evictions, entries: lru.size, bytes: lru.bytes, generation: current };
    },
    close(): void {
      connection?.close();
      if ((globalThis as Record<symbol, unknown>)[REGISTRY] === registered) delete (globalThis as Record<symbol, unknown>)[REGISTRY];
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;

/** The cache for this server from the environment: RESPONSE_CACHE=off disables it, RESPONSE_CACHE_MB caps it (default 32). */
export function responseCacheFromEnv(env: NodeJS.ProcessEnv = process.env): ResponseCache | null {
  if (env.RESPONSE_CACHE === "off") return null;
  const mb = Number(env.RESPONSE_CACHE_MB ?? 32);
  if (!Number.isFinite(mb) || mb <= 0)
    throw new Error(`RESPONSE_CACHE_MB must be a positive number of megabytes, not "${env.RESPONSE_CACHE_MB}".`);
  return createResponseCache({
    databasePath: env.DATABASE_PATH ?? "data/forum.db",
    maxBytes: Math.round(mb * 1024 * 1024),
    contentDir: env.CONTENT_DIR ?? "content",
  });
}
