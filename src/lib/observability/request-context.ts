import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What the server's listener (scripts/serve.mjs) and the site's middleware know together about the
 * request being served: its id (sent back as X-Request-Id, written on every log line about it) and
 * the route pattern Astro matched (`/register/manage/[token]`), which the request line and the
 * metrics use instead of the path. The storage is found through a global symbol, since the
 * listener and the bundled site load their own copies of this module.
 */
export interface RequestInfo {
  id: string;
  /** The route pattern, once Astro's middleware has run; unset for static files. */
  route?: string;
}

const STORAGE = Symbol.for("forum.request-context");
type Registry = { [STORAGE]?: AsyncLocalStorage<RequestInfo> };

/** The process's request storage. */
export function requestStorage(): AsyncLocalStorage<RequestInfo> {
  return ((globalThis as Registry)[STORAGE] ??= new AsyncLocalStorage<RequestInfo>());
}

/**
 * Records the route pattern of the request being served (the middleware calls it). The first one
 * stays: an error page or a rewrite rendered for the request runs the middleware again.
 */
export function noteRoute(pattern: string): void {
  const info = requestStorage().getStore();
  if (info) info.route ??= pattern;
}

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return requestStorage().getStore()?.id;
}
