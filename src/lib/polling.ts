/**
 * The loop of a background worker (the mail outbox, the webhook deliveries): a pass, then a wait
 * that a nudge cuts short, until stop(). A pass that throws is logged once while the same error
 * repeats, and the loop goes on after `pollMs`.
 */
export interface Polling {
  /** Stops after the pass under way (if any) has ended. */
  stop(): Promise<void>;
  /** Runs the next pass now instead of after the wait, unless `mayWake` says the worker must wait. */
  nudge(): void;
}

export interface PollingOptions {
  /** Used in the log lines: `<name>: <error>`. */
  name: string;
  /** One pass; returns how long to wait before the next (0: at once). `shouldStop` turns true on stop(). */
  pass: (shouldStop: () => boolean) => Promise<number>;
  /** The wait after a pass that threw. */
  pollMs: number;
  /** Whether a nudge may cut the wait short now (false while a provider asked to pause). */
  mayWake?: () => boolean;
  log?: (message: string) => void;
}

export function startPolling({ name, pass, pollMs, mayWake = () => true, log = console.error }: PollingOptions): Polling {
  let stopped = false;
  let nudged = false;
  let wake: (() => void) | undefined;
  let lastError = "";
  const shouldStop = () => stopped;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    while (!stopped) {
      nudged = false;
      let wait = pollMs;
      try {
        wait = await pass(shouldStop);
        lastError = "";
      } catch (error) {
        const message = (error as Error)?.message ?? String(error);
        if (message !== lastError) log(`${name}: ${message}`);
        lastError = message;
      }
      if (stopped) break;
      if (nudged && mayWake()) continue;
      if (wait > 0) await sleep(wait);
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
    nudge() {
      nudged = true;
      if (mayWake()) wake?.();
    },
  };
}

/** A positive number from an environment variable, else `fallback`. */
export function envNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}
