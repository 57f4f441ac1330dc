import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import {
  FORWARDING_HEADERS,
  headerReader,
  parseTrustProxy,
  resolveEdge,
  trustsPeer,
  type Edge,
  type TrustPolicy,
} from "../lib/security/proxy.ts";

/**
 * The server's own listener (scripts/serve.mjs) is the edge: before Astro sees a request it refuses
 * methods the site does not serve, works out who the client is from TRUST_PROXY and the forwarding
 * headers, hands Astro the public protocol and host, and removes the forwarding headers so nothing
 * after it can believe them. The result reaches the middleware (`locals.edge`) through an
 * AsyncLocalStorage kept on globalThis, because serve.mjs and the built app load separate copies of
 * this module. Without serve.mjs (`astro dev`) the middleware falls back to the TCP peer.
 */

const STORE = Symbol.for("forum.edge");
const store: AsyncLocalStorage<Edge> = ((globalThis as Record<symbol, unknown>)[STORE] ??=
  new AsyncLocalStorage<Edge>()) as AsyncLocalStorage<Edge>;

/** The edge of the request being handled, when the server's own listener saw it. */
export function currentEdge(): Edge | undefined {
  return store.getStore();
}

/**
 * The client's address for rate limits and the like, as far as TRUST_PROXY lets us believe it.
 * Astro's own `clientAddress` is the TCP peer: behind a proxy, the proxy's address for everyone.
 */
export function clientAddressOf(context: { locals: { edge: Edge } }): string {
  return context.locals.edge.client;
}

/** The edge of a request that reached Astro without the listener (the dev server): the TCP peer, nothing forwarded believed. */
export function directEdge(clientAddress: string, url: URL, headers: Headers): Edge {
  const proxied = FORWARDING_HEADERS.some((name) => headers.has(name));
  return { client: clientAddress, peer: clientAddress, protocol: url.protocol === "https:" ? "https" : "http", host: null, proxied };
}

/** Methods the site answers; everything else gets 405 before Astro (TRACE would be a 500 inside it). */
export const SERVED_METHODS = ["GET", "HEAD", "POST"] as const;
const ALLOW = [...SERVED_METHODS, "OPTIONS"].join(", ");
const served = new Set<string>(SERVED_METHODS);

/** Sent with every answer to a request that came over https: browsers then never try http again for a year. */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

const REFUSAL = `This site answers ${SERVED_METHODS.join(", ")} (and OPTIONS) only.\n`;
const refusalHeaders = {
  Allow: ALLOW,
  "Content-Type": "text/plain; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

/** A whole 405 response for a socket the HTTP parser gave up on (unknown methods) or CONNECT. */
function rawRefusal(): string {
  const body = Buffer.from(REFUSAL);
  const lines = Object.entries({ ...refusalHeaders, "Content-Length": String(body.length), Connection: "close" }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  return `HTTP/1.1 405 Method Not Allowed\r\n${lines.join("\r\n")}\r\n\r\n${REFUSAL}`;
}

/** The answers Node itself gives to the other errors of its parser (it gives them only while nobody listens for `clientError`). */
const PARSER_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/** TRUST_PROXY read once; the server refuses to start when it cannot be understood (never a silent default). */
export function trustPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): { policy: TrustPolicy; description: string } {
  const parsed = parseTrustProxy(env.TRUST_PROXY);
  if (!parsed.ok) throw new Error(`TRUST_PROXY=${JSON.stringify(env.TRUST_PROXY)}: ${parsed.reason}`);
  return parsed;
}

/**
 * Why a form posted from the public origin will be refused by the origin check, in words an operator
 * can act on; undefined when it will not be (or was not posted from there).
 */
export function originMismatch(
  req: Pick<IncomingMessage, "method" | "headers">,
  edge: Edge,
  peerTrusted: boolean,
  siteUrl: string | undefined,
): string | undefined {
  if (req.method !== "POST" || !siteUrl || !URL.canParse(siteUrl)) return undefined;
  const site = new URL(siteUrl).origin;
  if (req.headers.origin !== site) return undefined;
  const host = edge.host ?? req.headers.host ?? "";
  const seen = URL.canParse(`${edge.protocol}://${host}`) ? new URL(`${edge.protocol}://${host}`).origin : `${edge.protocol}://${host}`;
  if (seen === site) return undefined;
  const fix = "(docs/deploy.md, TRUST_PROXY)";
  if (peerTrusted) {
    return `A form posted from ${site} reached the site as ${seen} and was refused: the proxy at ${edge.peer} must pass on the browser's protocol (X-Forwarded-Proto) and host (Host), or SITE_URL is not the public address ${fix}.`;
  }
  if (edge.proxied) {
    return `A form posted from ${site} came through a proxy at ${edge.peer} that TRUST_PROXY does not name, so it looked like ${seen} and was refused: set TRUST_PROXY=${edge.peer} ${fix}.`;
  }
  return `A form posted from ${site} came from ${edge.peer} as ${seen} and was refused: behind a proxy, name it in TRUST_PROXY and let it send X-Forwarded-Proto and Host ${fix}.`;
}

/**
 * The edge of one server: `handle` wraps the app's handler, `attach` adds what a listener needs
 * beyond requests (405 to CONNECT and to methods the parser does not know; the protocol Astro reads).
 * `siteUrl` (SITE_URL) lets it say once, in the log, why forms from the public origin are refused.
 */
export function createEdge(policy: TrustPolicy, { siteUrl, log = console.warn }: { siteUrl?: string; log?: (line: string) => void } = {}) {
  let hinted = false;
  function handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    const method = req.method ?? "";
    if (method === "OPTIONS") {
      res.writeHead(204, { Allow: ALLOW, "Cache-Control": "no-store" }).end();
      return;
    }
    if (!served.has(method)) {
      res.writeHead(405, { ...refusalHeaders, "Content-Length": Buffer.byteLength(REFUSAL) }).end(REFUSAL);
      return;
    }
    const edge = resolveEdge(req.socket.remoteAddress, headerReader(req.headers), policy);
    if (!hinted) {
      const hint = originMismatch(req, edge, trustsPeer(policy, req.socket.remoteAddress), siteUrl);
      if (hint) {
        hinted = true;
        log(hint);
      }
    }
    for (const name of FORWARDING_HEADERS) delete req.headers[name];
    if (edge.host) req.headers.host = edge.host;
    // RFC 6797: only over https; a browser ignores it over http anyway.
    if (edge.protocol === "https") res.setHeader("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY);
    store.run(edge, next);
  }

  function attach(server: Server): void {
    // The adapter takes the request's protocol from `socket.encrypted`; behind a TLS-terminating
    // proxy it must be the client's, per request (one proxy connection carries many clients).
    server.on("connection", (socket: Socket) => {
      Object.defineProperty(socket, "encrypted", { configurable: true, get: () => store.getStore()?.protocol === "https" });
    });
    server.on("connect", (_req: IncomingMessage, socket: Socket) => {
      socket.end(rawRefusal(), () => socket.destroy());
    });
    server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === "ECONNRESET" || !socket.writable) {
        socket.destroy();
        return;
      }
      if (socket.bytesWritten === 0) {
        const status = PARSER_ERRORS[error.code ?? ""];
        const answer =
          error.code === "HPE_INVALID_METHOD"
            ? rawRefusal()
            : `HTTP/1.1 ${status ?? "400 Bad Request"}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
        socket.end(answer, () => socket.destroy());
      } else socket.destroy();
    });
  }

  return { handle, attach };
}
