/**
 * Counters the site itself bumps (a cache's hits and misses, say), without importing prom-client:
 * the bundled site and the server's listener load their own copies of modules, and only one copy
 * of prom-client may answer the cluster's metric requests in a process. The listener installs the
 * real counters (src/lib/observability/metrics.ts); elsewhere (astro dev, unit tests) these do nothing.
 */

const HOOKS = Symbol.for("forum.metrics.hooks");

export interface MetricHooks {
  /** One lookup in `cache` (e.g. "page"), found or not. */
  cacheLookup(cache: string, hit: boolean): void;
}

type Registry = { [HOOKS]?: MetricHooks };

/** Installs the process's counters (the listener does, once). */
export function installMetricHooks(hooks: MetricHooks): void {
  (globalThis as Registry)[HOOKS] = hooks;
}

/** Counts one lookup in `cache`: `forum_cache_lookups_total{cache, result="hit"|"miss"}`. */
export function countCacheLookup(cache: string, hit: boolean): void {
  (globalThis as Registry)[HOOKS]?.cacheLookup(cache, hit);
}
