import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, type Registry } from "prom-client";
import { installMetricHooks } from "./hooks.ts";

/**
 * Prometheus metrics (prom-client). Every process of the server keeps its own in prom-client's
 * global registry; at scrape time the cluster's primary asks each for them over IPC and adds them
 * up (AggregatorRegistry.aggregate: counters and histograms summed across the HTTP workers), and
 * the HTTP worker that got the request for `/metrics` answers with the result (scripts/serve.mjs).
 * What lives in the database (outbox, registrations) is read from it at scrape time by the
 * background process alone (database-metrics.ts), so it is right whichever process wrote it.
 *
 * A counter restarts at zero with its process (a reload replaces every worker): Prometheus's rate()
 * and increase() take such resets in their stride.
 */

/** Method label: the standard methods, anything else as OTHER (a client must not mint label values). */
export function methodLabel(method: string | undefined): string {
  return method && /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(method) ? method : "OTHER";
}

/** Status class label: 2xx, 3xx, 4xx, 5xx. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

/** What an HTTP worker records per request, and the site's own counters (cache). */
export interface HttpMetrics {
  observe(request: { method: string | undefined; route: string; status: number; seconds: number }): void;
}

/** Registers the HTTP worker's metrics and installs the metric hooks (cache lookups). */
export function httpMetrics(): HttpMetrics {
  const requests = new Counter({
    name: "forum_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status class.",
    labelNames: ["method", "route", "status"],
  });
  const duration = new Histogram({
    name: "forum_http_request_duration_seconds",
    help: "Time from the request's arrival to the end of its response, by route pattern and status class.",
    labelNames: ["route", "status"],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const cache = new Counter({
    name: "forum_cache_lookups_total",
    help: "Lookups in the site's caches, by cache and result (hit or miss).",
    labelNames: ["cache", "result"],
  });
  installMetricHooks({ cacheLookup: (name, hit) => cache.inc({ cache: name, result: hit ? "hit" : "miss" }) });
  return {
    observe({ method, route, status, seconds }) {
      const cls = statusClass(status);
      requests.inc({ method: methodLabel(method), route, status: cls });
      duration.observe({ route, status: cls }, seconds);
    },
  };
}

/**
 * Process metrics (memory, CPU, event loop lag) of this process, labelled `role` so the sums stay
 * per kind of process; and the answer to the primary's requests for this process's metrics.
 */
export function processMetrics(role: string): void {
  collectDefaultMetrics({ labels: { role } });
  process.on("message", (message: { type?: string; id?: number } | null) => {
    if (message?.type !== "forum:collect" || !process.send) return;
    register.getMetricsAsJSON().then(
      (metrics) => process.connected && process.send?.({ type: "forum:collected", id: message.id, metrics }),
      () => process.connected && process.send?.({ type: "forum:collected", id: message.id, metrics: null }),
    );
  });
}

/** `forum_mail_worker_running`: 1 in the process that delivers the outbox; their sum says how many do. */
export function mailWorkerGauge(running: boolean): void {
  new Gauge({ name: "forum_mail_worker_running", help: "Outbox workers running in this server (summed over its processes)." }).set(
    running ? 1 : 0,
  );
}

/** The primary's own metrics: its workers by role and their unplanned exits. */
export function supervisorMetrics(registry: Registry) {
  const workers = new Gauge({
    name: "forum_workers",
    help: "Processes the primary runs, by role (http, background).",
    labelNames: ["role"],
    registers: [registry],
  });
  const exits = new Counter({
    name: "forum_worker_unexpected_exits_total",
    help: "Worker processes that exited without being asked to (each was replaced), by role.",
    labelNames: ["role"],
    registers: [registry],
  });
  return { workers, exits };
}

const PROXY_HEADERS =
  /^(forwarded|via|x-forwarded-.+|x-real-ip|x-client-ip|true-client-ip|cf-connecting-ip|fastly-client-ip|x-cluster-client-ip)$/i;

/**
 * Who may read /metrics: a request with `Authorization: Bearer <METRICS_TOKEN>` (compared in
 * constant time), or one made directly from this machine: a loopback peer and no header a proxy
 * adds (X-Forwarded-For, Forwarded, Via, X-Real-IP, ...), since a proxy on this machine also
 * connects from loopback. Returns the answer's status: 200, or 401 (a wrong token) / 403.
 */
export function metricsAccess(
  req: Pick<IncomingMessage, "headers" | "rawHeaders" | "socket">,
  token = process.env.METRICS_TOKEN,
): 200 | 401 | 403 {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    return token && given && sameSecret(given, token) ? 200 : 401;
  }
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (PROXY_HEADERS.test(req.rawHeaders[i])) return 403;
  return isLoopback(req.socket.remoteAddress) ? 200 : 403;
}

function sameSecret(a: string, b: string): boolean {
  // Hashing first makes the comparison's time independent of the lengths too.
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^::ffff:/i, "");
  return plain === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}
