import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import type { Db } from "../../../db/client.ts";
import { envNumber, startPolling } from "../polling.ts";
import { addressAllowed, classifyAddress, privateTargetsAllowed } from "./addresses.ts";
import {
  claimDelivery,
  DEFAULT_RETRY,
  MAX_ATTEMPTS,
  recordAttempt,
  retryDelay,
  type AttemptOutcome,
  type ClaimedDelivery,
} from "./deliveries.ts";
import { endpointSecret, systemResolver, type Resolver } from "./endpoints.ts";
import { webhookHeaders } from "./signing.ts";

/**
 * The webhook worker (decision 40): in the server's background process beside the mail worker
 * (decision 21). It claims a due delivery (a lease, deliveries.ts), resolves the endpoint's host,
 * refuses it unless every address is allowed (SSRF: addresses.ts) and connects to the address it
 * checked, so a DNS answer that changes between the check and the connection changes nothing. One
 * POST, signed, no redirect followed, a short time-out; the answer's status and first bytes are
 * recorded. 2xx: delivered. 5xx, 408, 429, a time-out or a network error: tried again later with
 * exponential back-off and jitter, up to `maxAttempts`. Any other answer fails it at once.
 */

/** How long a request may take, connection to the last byte read, by default. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default lease on a claimed delivery: well beyond the time-out. */
export const DEFAULT_LEASE_MS = 60_000;
/** Bytes of an answer's body kept for the organizers. */
export const RESPONSE_BYTES = 512;
/** Deliveries in flight at once by default (one slow receiver does not hold the others back). */
export const DEFAULT_CONCURRENCY = 4;

export interface WebhookWorkerOptions {
  appKey: Buffer;
  timeoutMs?: number;
  leaseMs?: number;
  retry?: { baseMs: number; maxMs: number };
  maxAttempts?: number;
  allowPrivate?: boolean;
  resolve?: Resolver;
  concurrency?: number;
  now?: () => number;
  log?: (line: string) => void;
  /** Test hooks: after the claim is committed, and after the answer came but before it is recorded. */
  onClaimed?: (claimed: ClaimedDelivery) => void | Promise<void>;
  onAnswered?: (claimed: ClaimedDelivery, outcome: AttemptOutcome) => void | Promise<void>;
}

/** What one request did: the status (null if none came), the first bytes, or the error. */
export interface PostResult {
  status: number | null;
  response: string;
  error?: string;
  /** Whether trying again may help (time-out, network error). */
  transient?: boolean;
  /** The answer's Retry-After in ms (429, 503). */
  retryAfterMs?: number;
}

/** The addresses a URL's host leads to, each of them allowed; or the refusal. */
async function vettedAddress(
  url: URL,
  allowPrivate: boolean,
  resolve: Resolver,
): Promise<{ address: string; family: 4 | 6 } | { error: string; transient: boolean }> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      return { error: `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, transient: true };
    }
  }
  if (addresses.length === 0) return { error: `cannot resolve ${host}`, transient: true };
  const refused = addresses.find((a) => !addressAllowed(a, allowPrivate));
  if (refused) return { error: `refused target: ${host} resolves to ${refused} (${classifyAddress(refused)})`, transient: false };
  const address = addresses[0]!;
  return { address, family: isIP(address) === 6 ? 6 : 4 };
}

/** POSTs `body` to `url` with `headers`, connected to the vetted address; never follows a redirect. */
export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  {
    timeoutMs = DEFAULT_TIMEOUT_MS,
    allowPrivate = false,
    resolve = systemResolver,
  }: { timeoutMs?: number; allowPrivate?: boolean; resolve?: Resolver } = {},
): Promise<PostResult> {
  const target = new URL(url);
  const signal = AbortSignal.timeout(timeoutMs);
  const vetted = await vettedAddress(target, allowPrivate, resolve);
  if ("error" in vetted) return { status: null, response: "", error: vetted.error, transient: vetted.transient };
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<PostResult>((done) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      done(result);
    };
    const req = request(
      target,
      {
        method: "POST",
        agent: false,
        signal,
        // The connection goes to the address checked above, whatever the name resolves to now.
        lookup: (_host, options, callback) => {
          const cb = callback as (...args: unknown[]) => void;
          if ((options as { all?: boolean }).all) cb(null, [{ address: vetted.address, family: vetted.family }]);
          else cb(null, vetted.address, vetted.family);
        },
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "user-agent": "forum-webhooks/1",
          ...headers,
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const status = res.statusCode ?? 0;
        const retryAfter = Number(res.headers["retry-after"]);
        const end = () =>
          finish({
            status,
            response: Buffer.concat(chunks).subarray(0, RESPONSE_BYTES).toString("utf8"),
            ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
            ...(status >= 300 && status < 400
              ? { error: `redirect not followed${res.headers.location ? ` (to ${String(res.headers.location).slice(0, 200)})` : ""}` }
              : {}),
          });
        res.on("data", (chunk: Buffer) => {
          if (size < RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
          // Enough read: the rest of a large answer is not waited for.
          if (size >= RESPONSE_BYTES) {
            end();
            res.destroy();
          }
        });
        res.on("end", end);
        res.on("error", () => end());
        res.on("close", end);
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted;
      finish({
        status: null,
        response: "",
        error: timedOut ? `timed out after ${timeoutMs} ms` : `network error: ${error.code ?? error.message}`,
        transient: true,
      });
    });
    req.end(body);
  });
}

/** What an answer means for the delivery. */
export function outcomeOf(
  result: PostResult,
  attempts: number,
  { now, retry, maxAttempts }: { now: number; retry: { baseMs: number; maxMs: number }; maxAttempts: number },
): AttemptOutcome {
  const { status, response } = result;
  if (status !== null && status >= 200 && status < 300) return { kind: "delivered", status, response };
  const error = result.error ?? `answered ${status}`;
  const retryable = status === null ? result.transient !== false : status >= 500 || status === 408 || status === 429;
  if (!retryable) return { kind: "failed", status, response, error };
  if (attempts >= maxAttempts) return { kind: "failed", status, response, error: `${error} (gave up after ${attempts} attempts)` };
  const delay = Math.max(retryDelay(attempts, retry), Math.min(result.retryAfterMs ?? 0, retry.maxMs));
  return { kind: "retry", status, response, error, nextAttemptAt: now + delay };
}

/** Sends one claimed delivery and records the outcome. */
export async function sendClaimed(db: Db, claimed: ClaimedDelivery, options: WebhookWorkerOptions): Promise<AttemptOutcome> {
  const {
    timeoutMs = DEFAULT_TIMEOUT_MS,
    retry = DEFAULT_RETRY,
    maxAttempts = MAX_ATTEMPTS,
    allowPrivate = privateTargetsAllowed(),
    now = Date.now,
  } = options;
  let result: PostResult;
  try {
    const secret = endpointSecret(options.appKey, claimed.endpoint);
    const timestamp = Math.floor(now() / 1000);
    result = await postWebhook(
      claimed.endpoint.url,
      claimed.event.body,
      webhookHeaders(secret, claimed.event.id, timestamp, claimed.event.body),
      {
        timeoutMs,
        allowPrivate,
        resolve: options.resolve,
      },
    );
  } catch (error) {
    result = { status: null, response: "", error: (error as Error).message, transient: false };
  }
  const outcome = outcomeOf(result, claimed.delivery.attempts, { now: now(), retry, maxAttempts });
  await options.onAnswered?.(claimed, outcome);
  recordAttempt(db, claimed.delivery, outcome, now());
  return outcome;
}

/** Delivers what is due now (one pass, `concurrency` at once); resolves to the outcomes by kind. */
export async function deliverWebhooksDue(
  db: Db,
  options: WebhookWorkerOptions & { limit?: number; shouldStop?: () => boolean },
): Promise<Record<AttemptOutcome["kind"], number>> {
  const { leaseMs = DEFAULT_LEASE_MS, maxAttempts = MAX_ATTEMPTS, now = Date.now, limit = 1_000, shouldStop = () => false } = options;
  const counts = { delivered: 0, retry: 0, failed: 0 };
  let claimedCount = 0;
  const lane = async () => {
    while (claimedCount < limit && !shouldStop()) {
      const claimed = claimDelivery(db, {
        now: now(),
        leaseMs: Math.max(leaseMs, (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) * 2),
        maxAttempts,
      });
      if (!claimed) return;
      claimedCount++;
      await options.onClaimed?.(claimed);
      const outcome = await sendClaimed(db, claimed, options);
      counts[outcome.kind]++;
      if (outcome.kind !== "delivered")
        options.log?.(
          `webhook delivery ${claimed.delivery.id} (${claimed.event.type}) ${outcome.kind === "retry" ? "will be retried" : "failed"}: ${outcome.error}`,
        );
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY) }, lane));
  return counts;
}

export interface RunningWebhookWorker {
  stop(): Promise<void>;
  nudge(): void;
}

/** Runs passes until stop(): a pass, then `pollMs` (or until a nudge). Never throws; errors are logged once while they repeat. */
export function startWebhookWorker(options: WebhookWorkerOptions & { db: Db | (() => Db); pollMs?: number }): RunningWebhookWorker {
  const { pollMs = 1_000, log = console.error } = options;
  return startPolling({
    name: "webhook worker",
    pollMs,
    log,
    async pass(shouldStop) {
      const db = typeof options.db === "function" ? options.db() : options.db;
      await deliverWebhooksDue(db, { ...options, log, shouldStop });
      return pollMs;
    },
  });
}

/**
 * The worker's settings from the environment: WEBHOOK_TIMEOUT_MS (10 s), WEBHOOK_LEASE_MS (60 s),
 * WEBHOOK_RETRY_BASE_MS (30 s), WEBHOOK_RETRY_MAX_MS (1 h), WEBHOOK_MAX_ATTEMPTS (12),
 * WEBHOOK_POLL_MS (1 s), WEBHOOK_CONCURRENCY (4), WEBHOOKS_ALLOW_PRIVATE.
 */
export function webhookWorkerOptionsFromEnv(appKey: Buffer, env: NodeJS.ProcessEnv = process.env) {
  return {
    appKey,
    timeoutMs: envNumber(env.WEBHOOK_TIMEOUT_MS, DEFAULT_TIMEOUT_MS),
    leaseMs: envNumber(env.WEBHOOK_LEASE_MS, DEFAULT_LEASE_MS),
    retry: {
      baseMs: envNumber(env.WEBHOOK_RETRY_BASE_MS, DEFAULT_RETRY.baseMs),
      maxMs: envNumber(env.WEBHOOK_RETRY_MAX_MS, DEFAULT_RETRY.maxMs),
    },
    maxAttempts: Math.floor(envNumber(env.WEBHOOK_MAX_ATTEMPTS, MAX_ATTEMPTS)),
    pollMs: envNumber(env.WEBHOOK_POLL_MS, 1_000),
    concurrency: Math.floor(envNumber(env.WEBHOOK_CONCURRENCY, DEFAULT_CONCURRENCY)),
    allowPrivate: privateTargetsAllowed(env),
  } satisfies WebhookWorkerOptions & { pollMs: number };
}
