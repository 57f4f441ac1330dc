// Starts the built site. This file is every process of the server (node:cluster):
//   - the primary (scripts/supervisor.mjs) runs one background process (scripts/background.mjs:
//     migrations and demo seed first, then the e-mail outbox and housekeeping) and, once its setup
//     is done, WEB_CONCURRENCY HTTP workers (default 1); it replaces any that dies, reloads them one
//     by one on SIGHUP and stops them gracefully on SIGTERM;
//   - an HTTP worker (below) serves the Astro app on PORT and HOST behind its own edge (TRUST_PROXY,
//     methods), with a JSON log line and metrics per request, and /metrics for loopback or
//     METRICS_TOKEN.
// When the database cannot be opened the server still starts, and /health answers 503 until it can.
import cluster from "node:cluster";
import { createServer, Server } from "node:http";
import { Server as NetServer } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { registerWorker } from "../src/lib/email/nudge.ts";
import { requestObserver } from "../src/lib/observability/http.ts";
import { createLogger, installLogger } from "../src/lib/observability/log.ts";
import { httpMetrics, metricsAccess, processMetrics } from "../src/lib/observability/metrics.ts";
import { currentRequestId } from "../src/lib/observability/request-context.ts";
import { createEdge, trustPolicyFromEnv } from "../src/web/edge.ts";
import { responseCacheFromEnv } from "../src/web/response-cache.ts";
import { loadStaticAssets, sendStaticAsset } from "../src/web/static-assets.ts";
import { repairQuery } from "./repair-query.mjs";

const role = cluster.isPrimary ? "primary" : (process.env.FORUM_PROCESS ?? "http");
if (role === "primary") await import("./supervisor.mjs");
else if (role === "background") await import("./background.mjs");
else await serveHttp();

async function serveHttp() {
  const logger = createLogger("http");
  installLogger(logger, () => {
    const reqId = currentRequestId();
    return reqId ? { reqId } : undefined;
  });
  processMetrics("http");
  const observe = requestObserver({ logger, metrics: httpMetrics() });
  const shutdownMs = Number(process.env.SHUTDOWN_TIMEOUT_MS) > 0 ? Number(process.env.SHUTDOWN_TIMEOUT_MS) : 30_000;

  // Mail queued by a request is delivered by the background process: nudge it through the primary,
  // at most once per NUDGE_GAP_MS however many messages were queued (a burst of forms would otherwise
  // send an IPC message, relayed by the primary, for nearly every form; the worker, nudged during a
  // pass, makes another pass at once anyway).
  const NUDGE_GAP_MS = 20;
  let nudging = false;
  let lastNudge = 0;
  registerWorker(
    {
      nudge() {
        if (nudging) return;
        nudging = true;
        setTimeout(
          () => {
            nudging = false;
            lastNudge = Date.now();
            if (process.connected) process.send({ type: "forum:nudge" });
          },
          Math.max(0, lastNudge + NUDGE_GAP_MS - Date.now()),
        );
      },
    },
    true,
  );

  process.env.ASTRO_TELEMETRY_DISABLED ??= "1";
  // The adapter runs in middleware mode (astro.config.mjs): we listen ourselves, so that a malformed
  // query string (`?day=%ZZ`) reaches the app repaired instead of being refused with a bare 400, and
  // the build's files are served from memory here, not looked up on disk (a `stat`) per request.
  // DIST_DIR serves another build (parallel builds in development); the default is ./dist.
  const entry = process.env.DIST_DIR ? pathToFileURL(resolve(process.env.DIST_DIR, "server/entry.mjs")).href : "../dist/server/entry.mjs";
  const { handler } = await import(entry);
  const assets = loadStaticAssets(fileURLToPath(new URL("../client/_astro/", new URL(entry, import.meta.url))));
  // What the public reads, answered from memory in front of Astro (decision 29; RESPONSE_CACHE=off).
  const cache = responseCacheFromEnv();
  const astro = (req, res) => void handler(req, res);
  const site = cache ? (req, res) => cache.handle(req, res, () => astro(req, res)) : astro;
  const app = (req, res) => {
    // The adapter's own server refused a path that does not decode; so do we (Astro could not route it).
    if (!decodablePath(req.url)) {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
      return void res.end("Bad request.");
    }
    if (req.url.startsWith("/_astro/") && (req.method === "GET" || req.method === "HEAD") && sendStaticAsset(assets, req, res)) return;
    site(req, res);
  };

  /** Responses not yet over, so a drain can tell them to close their connection. */
  const inFlight = new Set();
  let draining = false;

  // The primary checked TRUST_PROXY before starting anyone.
  const edge = createEdge(trustPolicyFromEnv().policy, { siteUrl: process.env.SITE_URL });
  const server = createServer((req, res) => {
    const request = observe(req, res);
    if (draining) res.setHeader("Connection", "close");
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
    edge.handle(req, res, () => {
      req.url = repairQuery(req.url ?? "/");
      if (req.url === "/metrics" || req.url.startsWith("/metrics?")) return void serveMetrics(req, res, request.info);
      request.run(() => app(req, res));
    });
  });
  edge.attach(server);
  server.on("error", (error) => {
    logger.fatal({ err: error }, `Cannot listen on ${process.env.HOST ?? "localhost"}:${process.env.PORT ?? 4321}: ${error.message}`);
    process.exit(1);
  });
  server.listen(Number(process.env.PORT ?? 4321), process.env.HOST ?? "localhost", () => logger.debug("HTTP worker listening"));

  /**
   * Stops taking connections and lets the requests in flight finish, each answer closing its
   * connection. `restart` (a reload: another worker already listens) leaves idle keep-alive
   * connections to their timeout, which clients know from the Keep-Alive header, so none is cut
   * while a client sends on it; `stop` closes them at once. After SHUTDOWN_TIMEOUT_MS whatever is
   * left is cut.
   */
  function drain(mode) {
    if (draining) return;
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader("Connection", "close");
    const exit = () => process.exit(0);
    if (mode === "restart") NetServer.prototype.close.call(server, exit);
    else Server.prototype.close.call(server, exit);
    setTimeout(() => {
      server.closeAllConnections();
      exit();
    }, shutdownMs).unref();
  }

  /** Pending /metrics answers from the primary, by id. */
  const scrapes = new Map();
  let scrapeIds = 0;

  process.on("message", (message) => {
    if (message?.type === "forum:drain") drain(message.mode);
    else if (message?.type === "forum:metrics") scrapes.get(message.id)?.(message);
  });
  process.once("SIGTERM", () => drain("stop"));
  process.once("SIGINT", () => drain("stop"));
  // A reload is the primary's to run (Node's cluster ends this worker if the primary goes).
  process.on("SIGHUP", () => {});

  /** `/metrics`: the whole server's metrics, gathered by the primary, for loopback or METRICS_TOKEN. */
  async function serveMetrics(req, res, info) {
    info.route = "/metrics";
    const text = (status, body, headers = {}) => {
      res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...headers });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "GET or HEAD only.\n", { Allow: "GET, HEAD" });
    const access = metricsAccess(req);
    if (access === 401) return text(401, "Wrong or missing metrics token.\n", { "WWW-Authenticate": 'Bearer realm="metrics"' });
    if (access === 403)
      return text(403, "Metrics are served to this machine directly (not through a proxy) or with the METRICS_TOKEN bearer token.\n");
    const id = ++scrapeIds;
    const answer = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ error: "the primary did not answer" }), 10_000);
      scrapes.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      if (process.connected) process.send({ type: "forum:metrics", id });
    });
    scrapes.delete(id);
    if (answer.error) {
      logger.error(`Metrics could not be gathered: ${answer.error}`);
      return text(503, "Metrics could not be gathered.\n");
    }
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : answer.text);
  }
}

/** Whether a request target's path decodes (`/%ZZ` does not). */
function decodablePath(url) {
  try {
    decodeURI(url);
    return true;
  } catch {
    return false;
  }
}
