// The outbox worker of this process, found through a global symbol: the server's launcher and the
// bundled app load their own copies of these modules. In an HTTP worker of the server the registered
// "worker" relays nudges to the background process (scripts/serve.mjs). No imports, so that the
// launcher loads it without the database code.
const WORKER = Symbol.for("forum.email.worker");
type WorkerRegistry = { [WORKER]?: { nudge(): void } };

/** Records (or forgets) the worker running in this process, for nudgeWorker(). */
export function registerWorker(worker: { nudge(): void }, running: boolean): void {
  const registry = globalThis as WorkerRegistry;
  if (running) registry[WORKER] = worker;
  else if (registry[WORKER] === worker) delete registry[WORKER];
}

/** Asks the worker of this process, if any, to look at the outbox now rather than at its next poll. Call it after the commit. */
export function nudgeWorker(): void {
  (globalThis as WorkerRegistry)[WORKER]?.nudge();
}
