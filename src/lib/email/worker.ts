import type { Db } from "../../../db/client.ts";
import type { Edition } from "../config/edition.ts";
import {
  claimRequest,
  DEFAULT_RETRY,
  markFailed,
  MAX_ATTEMPTS,
  MAX_BATCH,
  recordRequest,
  registerWorker,
  rekey,
  releaseClaim,
  retryDelay,
  retryDelayBefore,
  type OutboxRow,
  type RequestOutcome,
} from "./outbox.ts";
import { envNumber, startPolling } from "../polling.ts";
import { acquirePace, DEFAULT_PACE, PACE_MARGIN_MS, type PaceSettings } from "./pace.ts";
import { hasAttachments, renderEmail, type RenderContext, type RenderedEmail } from "./templates.ts";
import {
  mailFrom,
  mailReplyTo,
  transportFromEnv,
  type BatchResult,
  type OutgoingEmail,
  type SendResult,
  type Transport,
} from "./transport.ts";

/**
 * The outbox worker: claims the next request's messages (outbox.ts, claimRequest: urgent first, up
 * to a batch of those without attachments), renders them, sends them under the request's
 * idempotency key and records each one's outcome. With a paced transport (Resend) every request
 * waits for room in the provider's window (pace.ts). It runs inside the server process
 * (scripts/serve.mjs) or on its own (`npm run mail:work`); several may run against one database,
 * the claims' leases keep them apart and the shared pace keeps them together under the limit.
 */

/** Default lease on a claimed request: longer than any send may take (sends time out at 3/4 of it). */
export const DEFAULT_LEASE_MS = 60_000;

/** Longest wait for the pace with messages claimed; beyond, they are given back and the pass stops until then. */
const MAX_PACE_WAIT_MS = 5_000;

/**
 * Requests in flight at once by default: one, so that nothing else in the process (rendering the
 * next batch) delays a request between the moment the pace counts it and the moment it leaves.
 * One keeps 2 a second going while a request and its rendering take under half a second; more
 * (MAIL_CONCURRENCY) for a raised limit over a slow network.
 */
export const DEFAULT_CONCURRENCY = 1;

/** How to deliver. */
export interface DeliverOptions {
  transport: Transport;
  /** Renders an outbox row (renderer(ctx) for the real templates). Throws for a message that can never render. */
  render: (message: OutboxRow) => Promise<RenderedEmail>;
  /** Whether a message must go alone (it has attachments); the real templates' hasAttachments by default. */
  alone?: (message: OutboxRow) => boolean;
  /** The sender address. */
  from: string;
  /** Where replies go (the organizers' contact address). */
  replyTo?: string;
  /** The clock, in ms (tests move it). */
  now?: () => number;
  leaseMs?: number;
  /** At most this many messages per pass. */
  limit?: number;
  retry?: { baseMs: number; maxMs: number };
  maxAttempts?: number;
  /** The pace to start from before the provider's headers tell (paced transports only). */
  pace?: PaceSettings;
  /** Requests in flight at once (paced transports; the mailbox writes one request at a time). */
  concurrency?: number;
  /** Where to report failures; console.error by default. */
  log?: (line: string) => void;
  /** Asked between requests: stop early (the worker is shutting down). */
  shouldStop?: () => boolean;
  /** Waits for the pace (tests move their clock instead). */
  sleep?: (ms: number) => Promise<void>;
}

/** What one pass did. */
export interface DeliveryReport {
  /** Messages claimed (each request's members). */
  claimed: number;
  /** Requests made to the transport. */
  requests: number;
  sent: number;
  retried: number;
  failed: number;
  /** Set when the pace (or a rate limit) stopped the pass: nothing should be sent before this time. */
  pausedUntil?: number;
}

/** Renders with the real templates in `ctx`. */
export function renderer(ctx: RenderContext): (message: OutboxRow) => Promise<RenderedEmail> {
  return (message) => renderEmail(message, ctx);
}

/** Delivers what is due now (one pass); resolves to the number sent. */
export async function deliverDue(db: Db, options: DeliverOptions): Promise<number> {
  return (await deliverPass(db, options)).sent;
}

const messageOf = (error: unknown) => (error as Error)?.message ?? String(error);

/**
 * Delivers what is due now, request by request (several in flight with `concurrency`), until
 * nothing is due, `limit` messages were claimed, or the pace says to wait (`pausedUntil`).
 */
export async function deliverPass(db: Db, options: DeliverOptions): Promise<DeliveryReport> {
  const { transport, render, from, replyTo, now = Date.now, leaseMs = DEFAULT_LEASE_MS, limit = 1_000 } = options;
  const { retry = DEFAULT_RETRY, maxAttempts = MAX_ATTEMPTS, log = console.error, shouldStop = () => false } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const alone = options.alone ?? ((row: OutboxRow) => hasAttachments(row));
  const paced = transport.paced === true;
  const pace = paced ? (options.pace ?? DEFAULT_PACE) : undefined;
  const maxBatch = transport.sendBatch ? Math.min(MAX_BATCH, transport.maxBatch ?? MAX_BATCH) : 1;
  const lanes = paced ? Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY)) : 1;
  const report: DeliveryReport = { claimed: 0, requests: 0, sent: 0, retried: 0, failed: 0 };
  const pauseUntil = (until: number) => {
    report.pausedUntil = report.pausedUntil === undefined ? until : Math.max(report.pausedUntil, until);
  };

  const lane = async () => {
    while (report.claimed < limit && !shouldStop() && report.pausedUntil === undefined) {
      const claim = claimRequest(db, { now: now(), leaseMs, maxAttempts, maxBatch, alone, pace });
      if (claim.kind === "idle") return;
      if (claim.kind === "wait") return pauseUntil(claim.until);
      report.claimed += claim.rows.length;

      // Render every member; one that cannot render never will: failed, and a new request leaves it out.
      let key = claim.key;
      const ready: { row: OutboxRow; email: OutgoingEmail }[] = [];
      for (const row of claim.rows) {
        try {
          const email = await render(row);
          if (claim.rows.length > 1 && email.attachments.length > 0) throw new Error("it has attachments, which a batch cannot carry");
          ready.push({
            row,
            email: { ...email, to: row.recipient, from, ...(replyTo ? { replyTo } : {}), template: row.template, messageId: row.id },
          });
        } catch (error) {
          markFailed(db, row.id, `Cannot render: ${messageOf(error)}`);
          log(`mail ${row.id} (${row.template}) failed: cannot render: ${messageOf(error)}`);
          report.failed++;
        }
      }
      if (ready.length === 0) continue;
      if (ready.length < claim.rows.length && claim.fresh)
        key = rekey(
          db,
          claim.key,
          ready.map((r) => r.row.id),
        )!;

      // The pace had room when the messages were claimed; the request is counted now, as it leaves.
      if (pace) await transport.warm?.();
      let sentAt = now();
      // A request not answered by then is given up (and cannot reach the provider after it).
      const timeoutMs = Math.max(1_000, Math.floor(leaseMs * 0.75));
      if (pace) {
        // Waits for room, as long as MAX_PACE_WAIT_MS in all (a request in flight holding the last
        // place is looked at again every few ms until its answer tells when it arrived).
        const waitFrom = sentAt;
        for (let tries = 1; ; tries++) {
          const acquired = acquirePace(db, sentAt, pace, timeoutMs + (pace.marginMs ?? PACE_MARGIN_MS));
          if (acquired.ok) break;
          const wait = acquired.until - sentAt;
          if (shouldStop() || acquired.until - waitFrom > MAX_PACE_WAIT_MS || tries >= 1_000) {
            releaseClaim(db, { key, fresh: claim.fresh });
            report.claimed -= claim.rows.length;
            return pauseUntil(acquired.until);
          }
          await sleep(wait);
          sentAt = now();
        }
      }

      report.requests++;
      const signal = AbortSignal.timeout(timeoutMs);
      let result: SendResult | BatchResult;
      try {
        result =
          key === ready[0]!.row.id && ready.length === 1
            ? await transport.send(ready[0]!.email, { idempotencyKey: key, signal })
            : await transport.sendBatch!(
                ready.map((r) => r.email),
                { idempotencyKey: key, signal },
              );
      } catch (error) {
        result = { ok: false, retryable: true, error: `${transport.name}: ${messageOf(error)}` };
      }
      const at = now();
      const outcome = outcomeOf(result, ready, at, { retry, maxAttempts });
      const counts = recordRequest(db, { key, at: sentAt }, outcome, { now: at, rate: result.rate, pace });
      report.sent += counts.sent;
      report.retried += counts.retried;
      report.failed += counts.failed;
      if (outcome.kind === "failed") log(`mail request ${key} (${ready.length} message(s)) failed: ${outcome.error}`);
      else if (outcome.kind === "answered") {
        for (const [id, member] of outcome.members) if (!member.ok) log(`mail ${id} failed: ${member.error}`);
      } else if (!result.ok && result.retryAfterMs === undefined) log(`mail request ${key}: ${outcome.error}; tried again later`);
      if (!result.ok && result.retryAfterMs !== undefined) return pauseUntil(at + result.retryAfterMs);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return report;
}

/** What a transport's answer means for the request's members. */
function outcomeOf(
  result: SendResult | BatchResult,
  ready: { row: OutboxRow }[],
  at: number,
  { retry, maxAttempts }: { retry: { baseMs: number; maxMs: number }; maxAttempts: number },
): RequestOutcome {
  if (result.ok) {
    const members = new Map<string, { ok: true; id: string | null } | { ok: false; error: string }>();
    if ("results" in result) ready.forEach(({ row }, i) => members.set(row.id, result.results[i] ?? { ok: true, id: null }));
    else members.set(ready[0]!.row.id, { ok: true, id: result.id });
    return { kind: "answered", members };
  }
  if (!result.retryable) return { kind: "failed", error: result.error };
  // The provider surely took nothing: the messages are free to go in any request, the attempt is given back.
  if (result.certain) return { kind: "retry", error: result.error, certain: true, nextAttemptAt: at + (result.retryAfterMs ?? 1_000) };
  const attempts = Math.max(...ready.map(({ row }) => row.attempts));
  if (attempts >= maxAttempts) return { kind: "failed", error: `${result.error} (gave up after ${attempts} attempts)` };
  const expiries = ready.flatMap(({ row }) => (row.expiresAt ? [row.expiresAt.getTime()] : []));
  const soonest = expiries.length ? new Date(Math.min(...expiries)) : null;
  const delay = retryDelayBefore(retryDelay(attempts, retry), soonest, at);
  return { kind: "retry", error: result.error, certain: false, nextAttemptAt: at + delay };
}

/** A running worker. */
export interface Worker {
  /** Stops after the requests in flight (if any) are recorded. */
  stop(): Promise<void>;
  /** Looks at the outbox now instead of at the next poll (after enqueueing). */
  nudge(): void;
}

/** What startWorker needs: the database (or a way to open it, retried on failure) and how to deliver. */
export interface WorkerOptions extends Omit<DeliverOptions, "now" | "shouldStop" | "sleep"> {
  db: Db | (() => Db);
  /** Pause between two looks at an empty outbox. */
  pollMs?: number;
}

/**
 * Runs the worker until stop(): a pass over the due messages, then a pause of `pollMs` (or until a
 * nudge, or the moment the pace has room again). Never throws: an error is logged (once while it
 * repeats) and the next pass tries again.
 */
export function startWorker(options: WorkerOptions): Worker {
  const { pollMs = envNumber(process.env.MAIL_POLL_MS, 1_000), limit = 1_000, log = console.error } = options;
  let pausedUntil = 0;
  const polling = startPolling({
    name: "mail worker",
    pollMs,
    log,
    // While the provider asked to pause, a nudge waits for the pause to end.
    mayWake: () => Date.now() >= pausedUntil,
    async pass(shouldStop) {
      const db = typeof options.db === "function" ? options.db() : options.db;
      const report = await deliverPass(db, { ...options, shouldStop });
      if (report.pausedUntil !== undefined) {
        pausedUntil = report.pausedUntil;
        return Math.max(0, pausedUntil - Date.now());
      }
      return report.claimed >= limit ? 0 : pollMs; // more are due: at once
    },
  });
  const worker: Worker = {
    async stop() {
      await polling.stop();
      registerWorker(worker, false);
    },
    nudge: () => polling.nudge(),
  };
  registerWorker(worker, true);
  return worker;
}

/**
 * The worker's settings from the environment: transport (RESEND_API_KEY, RESEND_BASE_URL, MAILBOX_DIR),
 * sender (MAIL_FROM) and replies (the edition's contact address), the pace (MAIL_RATE_LIMIT requests
 * per MAIL_RATE_WINDOW_MS until the provider's headers say, MAIL_CONCURRENCY requests in flight),
 * MAIL_POLL_MS, MAIL_LEASE_MS, MAIL_RETRY_BASE_MS, MAIL_RETRY_MAX_MS.
 */
export function workerOptionsFromEnv(
  ctx: { edition: Edition; siteUrl: string; appKey: Buffer },
  env: NodeJS.ProcessEnv = process.env,
): Omit<WorkerOptions, "db"> {
  return {
    transport: transportFromEnv(env),
    render: renderer(ctx),
    from: mailFrom(env, ctx.edition),
    replyTo: mailReplyTo(ctx.edition),
    pollMs: envNumber(env.MAIL_POLL_MS, 1_000),
    leaseMs: envNumber(env.MAIL_LEASE_MS, DEFAULT_LEASE_MS),
    retry: {
      baseMs: envNumber(env.MAIL_RETRY_BASE_MS, DEFAULT_RETRY.baseMs),
      maxMs: envNumber(env.MAIL_RETRY_MAX_MS, DEFAULT_RETRY.maxMs),
    },
    pace: {
      limit: Math.floor(envNumber(env.MAIL_RATE_LIMIT, DEFAULT_PACE.limit)),
      windowMs: envNumber(env.MAIL_RATE_WINDOW_MS, DEFAULT_PACE.windowMs),
      marginMs: envNumber(env.MAIL_PACE_MARGIN_MS, PACE_MARGIN_MS),
    },
    concurrency: Math.floor(envNumber(env.MAIL_CONCURRENCY, DEFAULT_CONCURRENCY)),
  };
}
