import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "./log.ts";
import { methodLabel, type HttpMetrics } from "./metrics.ts";
import { requestStorage, type RequestInfo } from "./request-context.ts";

/** One request as the listener sees it: its id and route, and how to run the site inside its context. */
export interface ObservedRequest {
  info: RequestInfo;
  /** Runs `serve` with this request as the current one (its id on Astro's log lines, its route noted by the middleware). */
  run(serve: () => unknown): unknown;
}

/**
 * What the server's listener does for every request: a fresh id (sent back as `X-Request-Id`), and
 * once the response is over one log line and the metrics: method, route pattern (never the path:
 * it may hold a private token), status, latency in ms. A client that went away before the answer
 * is logged with status 499 and `aborted`. Static files have the route `(static)`, answers the
 * listener gives itself before Astro (`(none)`) unless it names one.
 */
export function requestObserver({ logger, metrics }: { logger: Logger; metrics: HttpMetrics }) {
  const storage = requestStorage();
  return function observe(req: IncomingMessage, res: ServerResponse): ObservedRequest {
    const started = performance.now();
    const info: RequestInfo = { id: randomUUID() };
    res.setHeader("X-Request-Id", info.id);
    res.once("close", () => {
      const ms = performance.now() - started;
      const aborted = !res.writableFinished;
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      const route = info.route ?? (status < 400 ? "(static)" : "(none)");
      metrics.observe({ method: req.method, route, status, seconds: ms / 1000 });
      const level = status >= 500 && status !== 499 ? "error" : "info";
      if (!logger.isLevelEnabled(level)) return;
      const method = methodLabel(req.method);
      const fields: Record<string, unknown> = { reqId: info.id, method, route, status, ms: Math.round(ms * 100) / 100 };
      if (aborted) fields.aborted = true;
      logger[level](fields, `${method} ${route} ${status}`);
    });
    return { info, run: (serve) => storage.run(info, serve) };
  };
}
