import type { Db } from "../../../db/client.ts";
import type { Edition } from "../config/edition.ts";
import {
  claimNext,
  DEFAULT_RETRY,
  markFailed,
  markSent,
  MAX_ATTEMPTS,
  registerWorker,
  retryDelay,
  scheduleRetry,
  type OutboxRow,
} from "./outbox.ts";
import { renderEmail, type RenderContext, type RenderedEmail } from "./templates.ts";
import { mailFrom, transportFromEnv, type SendResult, type Transport } from "./transport.ts";

/**
 * The outbox worker: claims due messages one at a time, renders, sends and records the outcome. It
 * runs inside the server process (scripts/serve.mjs) or on its own (`npm run mail:work`); several
 * may run against one database, the claim's lease keeps them apart.
 */

/** Default lease on a claimed message: longer than any send may take (sends time out at 3/4 of it). */
export const DEFAULT_LEASE_MS = 60_000;

/** How to deliver. */
export interface DeliverOptions {
  transport: Transport;
  /** Renders an outbox row (renderer(ctx) for the real templates). Throws for a message that can never render. */
  render: (message: OutboxRow) => Promise<RenderedEmail>;
  /** The sender address. */
  from: string;
  /** The clock, in ms (tests move it). */
  now?: () => number;
  leaseMs?: number;
  /** At most this many messages per call. */
  limit?: number;
  retry?: { baseMs: number; maxMs: number };
  maxAttempts?: number;
  /** Where to report failures; console.error by default. */
  log?: (line: string) => void;
  /** Asked between messages: stop early (the worker is shutting down). */
  shouldStop?: () => boolean;
}

/** What one pass did. */
export interface DeliveryReport {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  /** Set after a rate limit: nothing should be sent before this time. */
  pausedUntil?: number;
}

/** Renders with the real templates in `ctx`. */
export function renderer(ctx: RenderContext): (message: OutboxRow) => Promise<RenderedEmail> {
  return (message) => renderEmail(message, ctx);
}

/** Delivers the messages due now, one by one; resolves to the number sent. */
export async function deliverDue(db: Db, options: DeliverOptions): Promise<number> {
  return (await deliverBatch(db, options)).sent;
}

/** Delivers the messages due now and reports what happened; stops at the first rate limit. */
export async function deliverBatch(db: Db, options: DeliverOptions): Promise<DeliveryReport> {
  const { transport, render, from, now = Date.now, leaseMs = DEFAULT_LEASE_MS, limit = 100 } = options;
  const { retry = DEFAULT_RETRY, maxAttempts = MAX_ATTEMPTS, log = console.error, shouldStop = () => false } = options;
  const report: DeliveryReport = { claimed: 0, sent: 0, retried: 0, failed: 0 };
  while (report.claimed < limit && !shouldStop()) {
    const row = claimNext(db, { now: now(), leaseMs, maxAttempts });
    if (!row) break;
    report.claimed++;
    let email: RenderedEmail;
    try {
      email = await render(row);
    } catch (error) {
      // A message that cannot render never will: retrying would only hide the bug.
      markFailed(db, row.id, `Cannot render: ${(error as Error).message ?? error}`);
      log(`mail ${row.id} (${row.template}) failed: cannot render: ${(error as Error).message ?? error}`);
      report.failed++;
      continue;
    }
    let result: SendResult;
    try {
      result = await transport.send(
        { ...email, to: row.recipient, from, template: row.template },
        { idempotencyKey: row.id, signal: AbortSignal.timeout(Math.max(1_000, Math.floor(leaseMs * 0.75))) },
      );
    } catch (error) {
      result = { ok: false, retryable: true, error: `${transport.name}: ${(error as Error).message ?? error}` };
    }
    const at = now();
    if (result.ok) {
      markSent(db, row.id, result.id, at);
      report.sent++;
    } else if (!result.retryable) {
      markFailed(db, row.id, result.error);
      log(`mail ${row.id} (${row.template}) failed: ${result.error}`);
      report.failed++;
    } else if (result.retryAfterMs !== undefined) {
      // A rate limit is the account's, not the message's: the attempt is given back and every send waits.
      const wait = result.retryAfterMs;
      scheduleRetry(db, row.id, result.error, at + wait, { countAttempt: false });
      report.retried++;
      report.pausedUntil = at + wait;
      break;
    } else if (row.attempts >= maxAttempts) {
      markFailed(db, row.id, `${result.error} (gave up after ${row.attempts} attempts)`);
      log(`mail ${row.id} (${row.template}) failed after ${row.attempts} attempts: ${result.error}`);
      report.failed++;
    } else {
      scheduleRetry(db, row.id, result.error, at + retryDelay(row.attempts, retry));
      report.retried++;
    }
  }
  return report;
}

/** A running worker. */
export interface Worker {
  /** Stops after the message in flight (if any) is recorded. */
  stop(): Promise<void>;
  /** Looks at the outbox now instead of at the next poll (after enqueueing). */
  nudge(): void;
}

/** What startWorker needs: the database (or a way to open it, retried on failure) and how to deliver. */
export interface WorkerOptions extends Omit<DeliverOptions, "now" | "shouldStop"> {
  db: Db | (() => Db);
  /** Pause between two looks at an empty outbox. */
  pollMs?: number;
}

/**
 * Runs the worker until stop(): a pass over the due messages, then a pause of `pollMs` (or until a
 * nudge, or the end of a rate limit). Never throws: an error is logged (once while it repeats) and
 * the next pass tries again.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { pollMs = envNumber(process.env.MAIL_POLL_MS, 1_000), limit = 100, log = console.error } = options;
  let stopped = false;
  let nudged = false;
  let pausedUntil = 0;
  let wake: (() => void) | undefined;
  let lastError = "";

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
        const db = typeof options.db === "function" ? options.db() : options.db;
        const report = await deliverBatch(db, { ...options, shouldStop: () => stopped });
        lastError = "";
        if (report.pausedUntil !== undefined) {
          pausedUntil = report.pausedUntil;
          wait = Math.max(0, pausedUntil - Date.now());
        } else if (report.claimed >= limit) {
          wait = 0; // more are due
        }
      } catch (error) {
        const message = (error as Error)?.message ?? String(error);
        if (message !== lastError) log(`mail worker: ${message}`);
        lastError = message;
      }
      if (stopped) break;
      if (nudged && Date.now() >= pausedUntil) continue;
      if (wait > 0) await sleep(wait);
    }
  })();

  const worker: Worker = {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      registerWorker(worker, false);
    },
    nudge() {
      nudged = true;
      if (Date.now() >= pausedUntil) wake?.();
    },
  };
  registerWorker(worker, true);
  return worker;
}

/** A positive number from an environment variable, else `fallback`. */
function envNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * The worker's settings from the environment: transport (RESEND_API_KEY, RESEND_BASE_URL, MAILBOX_DIR),
 * sender (MAIL_FROM), MAIL_POLL_MS, MAIL_LEASE_MS, MAIL_RETRY_BASE_MS, MAIL_RETRY_MAX_MS.
 */
export function workerOptionsFromEnv(
  ctx: { edition: Edition; siteUrl: string; appKey: Buffer },
  env: NodeJS.ProcessEnv = process.env,
): Omit<WorkerOptions, "db"> {
  return {
    transport: transportFromEnv(env),
    render: renderer(ctx),
    from: mailFrom(env, ctx.edition),
    pollMs: envNumber(env.MAIL_POLL_MS, 1_000),
    leaseMs: envNumber(env.MAIL_LEASE_MS, DEFAULT_LEASE_MS),
    retry: {
      baseMs: envNumber(env.MAIL_RETRY_BASE_MS, DEFAULT_RETRY.baseMs),
      maxMs: envNumber(env.MAIL_RETRY_MAX_MS, DEFAULT_RETRY.maxMs),
    },
  };
}
