import { resolve } from "node:path";
import { Resend } from "resend";
import type { Edition } from "../config/edition.ts";
import { writeMailboxMessage, type MailboxEmail } from "./mailbox.ts";
import { MAX_BATCH } from "./outbox.ts";
import { rateInfoOf, type RateInfo } from "./pace.ts";

/** What a transport is given: a rendered e-mail with its addresses, its outbox id and template (for the record). */
export type OutgoingEmail = MailboxEmail & { messageId?: string };

/**
 * Why a request did not go through. `retryable` failures come back later, the others are final.
 * `retryAfterMs` is set when the provider asks every request to wait (a rate limit, a refused
 * account). `certain`: the provider surely took nothing (it refused the request before reading it),
 * so its messages may go in another request; otherwise (no answer, a server error) they are tried
 * again together under the same key.
 */
export type SendFailure = { ok: false; retryable: boolean; retryAfterMs?: number; certain?: boolean; error: string; rate?: RateInfo };

/** The outcome of one message sent alone; `rate` is what the answer said of the pace. */
export type SendResult = ({ ok: true; id: string } | SendFailure) & { rate?: RateInfo };

/** One member's outcome in an answered batch: its message id (null when the answer did not say it), or its own refusal. */
export type MemberResult = { ok: true; id: string | null } | { ok: false; error: string };

/** The outcome of a batch: every member's, in the order sent, or the request's failure. */
export type BatchResult = ({ ok: true; results: MemberResult[] } | SendFailure) & { rate?: RateInfo };

/** A way out for e-mail: the provider, or the local mailbox. */
export interface Transport {
  name: string;
  /** Sends once per idempotency key: a second call with the same key never delivers a second copy. */
  send(email: OutgoingEmail, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<SendResult>;
  /**
   * Sends several messages without attachments in one request, once per idempotency key (a second
   * call with the same key and the same messages delivers nothing more). Absent: one at a time.
   */
  sendBatch?(emails: OutgoingEmail[], opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<BatchResult>;
  /** Most messages in one sendBatch (MAX_BATCH by default). */
  maxBatch?: number;
  /** Whether requests follow the provider's pace (pace.ts); the mailbox is not paced. */
  paced?: boolean;
  /** Readies the HTTP client before the first request is counted, so that it does not leave late (no request is made). */
  warm?(): Promise<void>;
}

/** Wait after a 429 that names no delay: Resend's limits are per second. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

/** How long the worker pauses when Resend refuses the account (401, 403) or its quota is spent, before trying again. */
export const ACCOUNT_PROBLEM_WAIT_MS = 5 * 60_000;

type ResendError = { statusCode?: number | null; name?: string; message?: string } | null;

/**
 * A refusal of Resend as a SendFailure: rate limits (429) wait the `retry-after` it gives (a spent
 * daily or monthly quota longer); server errors (5xx), no answer at all, and a concurrent request
 * under the same key are retried; a refused key or sender pauses everything; any other refusal
 * (invalid address...) is final.
 */
function failureOf(error: ResendError, headers: Record<string, string> | null, now: number): SendFailure {
  const status = typeof error?.statusCode === "number" ? error.statusCode : undefined;
  const reason = `Resend${status ? ` ${status}` : ""}${error?.name ? ` ${error.name}` : ""}: ${error?.message ?? "unknown error"}`;
  const rate = rateInfoOf(headers, status, now);
  // No headers: the request never got an HTTP answer (connection refused or reset, DNS, timeout).
  if (headers === null || status === undefined) return { ok: false, retryable: true, error: reason };
  if (status === 429) {
    const quota = error?.name === "daily_quota_exceeded" || error?.name === "monthly_quota_exceeded";
    const retryAfterMs = quota
      ? Math.max(ACCOUNT_PROBLEM_WAIT_MS, rate.retryAfterMs ?? 0)
      : (rate.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
    return { ok: false, retryable: true, certain: true, error: reason, retryAfterMs, rate: { ...rate, retryAfterMs } };
  }
  if (status >= 500 || (status === 409 && error?.name === "concurrent_idempotent_requests"))
    return { ok: false, retryable: true, error: reason, rate };
  // A refused key or an unverified sender is the account's problem, not the messages': pause and
  // keep the queue rather than failing every message one by one.
  if (status === 401 || status === 403) {
    return {
      ok: false,
      retryable: true,
      certain: true,
      error: `${reason} (check RESEND_API_KEY and MAIL_FROM's domain)`,
      retryAfterMs: ACCOUNT_PROBLEM_WAIT_MS,
      rate: { ...rate, retryAfterMs: ACCOUNT_PROBLEM_WAIT_MS },
    };
  }
  return { ok: false, retryable: false, error: reason, rate };
}

/** The SDK's options of a message (attachments apart). */
function resendMessage(email: OutgoingEmail) {
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...(email.template ? { tags: [{ name: "template", value: email.template.replace(/[^A-Za-z0-9_-]/g, "_") }] } : {}),
  };
}

/**
 * Resend through its SDK. A message with attachments goes alone (`emails.send`), the others in
 * batches of up to 100 (`batch.send`, permissive validation: a member Resend refuses is reported by
 * its index and the others go). The SDK returns every answer's headers, from which the pace is read.
 */
export function resendTransport({ apiKey, baseUrl }: { apiKey: string; baseUrl?: string }): Transport {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, "") } : undefined);
  let warmed: Promise<void> | undefined;
  return {
    name: "resend",
    maxBatch: MAX_BATCH,
    paced: true,
    // Node's fetch loads its HTTP client on first use (80 ms and more); a data: URL loads it without
    // a request, so that the first request the pace counts leaves when it is counted.
    warm: () =>
      (warmed ??= fetch("data:,").then(
        (r) => r.arrayBuffer().then(() => undefined),
        () => undefined,
      )),
    async send(email, { idempotencyKey, signal }) {
      let response: Awaited<ReturnType<typeof resend.emails.send>>;
      try {
        response = await resend.emails.send(
          {
            ...resendMessage(email),
            attachments: email.attachments.map((a) => ({
              filename: a.filename,
              content: a.content,
              contentType: a.contentType,
              ...(a.contentId ? { contentId: a.contentId } : {}),
            })),
          },
          { idempotencyKey, ...(signal ? { signal } : {}) },
        );
      } catch (error) {
        // The SDK turns HTTP failures into values; a throw is an abort or a bug: try again later.
        return { ok: false, retryable: true, error: `Resend: ${(error as Error).message ?? error}` };
      }
      const { data, error, headers } = response;
      const now = Date.now();
      if (data?.id) return { ok: true, id: data.id, rate: rateInfoOf(headers, 200, now) };
      if (!error) return { ok: false, retryable: true, error: "Resend: empty answer", rate: rateInfoOf(headers, 200, now) };
      return failureOf(error, headers, now);
    },
    async sendBatch(emails, { idempotencyKey, signal }) {
      if (emails.some((e) => e.attachments.length > 0)) throw new Error("A message with attachments cannot go in a batch");
      let response: Awaited<ReturnType<typeof resend.batch.send<{ batchValidation: "permissive" }>>>;
      try {
        response = await resend.batch.send(emails.map(resendMessage), {
          idempotencyKey,
          batchValidation: "permissive",
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        return { ok: false, retryable: true, error: `Resend: ${(error as Error).message ?? error}` };
      }
      const { data, error, headers } = response;
      const now = Date.now();
      if (error || !data) return failureOf(error, headers, now);
      return { ok: true, results: batchResults(emails.length, data), rate: rateInfoOf(headers, 200, now) };
    },
  };
}

/**
 * Each member's outcome in a permissive batch answer: `errors` name the refused members by index,
 * `data` lists the created messages' ids in the order of the others. If the counts do not add up,
 * the members not refused are recorded as sent without an id rather than guessed.
 */
export function batchResults(
  count: number,
  answer: { data?: { id: string }[] | null; errors?: { index: number; message: string }[] | null },
): MemberResult[] {
  const refused = new Map<number, string>();
  for (const e of answer.errors ?? []) {
    if (Number.isInteger(e.index) && e.index >= 0 && e.index < count) refused.set(e.index, String(e.message ?? "refused"));
  }
  const ids = (answer.data ?? []).map((d) => (typeof d?.id === "string" ? d.id : null));
  const exact = ids.length === count - refused.size;
  const results: MemberResult[] = [];
  let next = 0;
  for (let index = 0; index < count; index++) {
    const error = refused.get(index);
    if (error !== undefined) results.push({ ok: false, error: `Resend refused it in its batch: ${error}` });
    else results.push({ ok: true, id: exact ? (ids[next++] ?? null) : null });
  }
  return results;
}

/** The local mailbox: one `.eml` file per message in `dir` (see mailbox.ts), never paced. Never fails but on a full disk. */
export function mailboxTransport({ dir }: { dir: string }): Transport {
  const write = (email: OutgoingEmail, key: string) => writeMailboxMessage(dir, email, key);
  return {
    name: "mailbox",
    maxBatch: MAX_BATCH,
    paced: false,
    async send(email, { idempotencyKey }) {
      try {
        return { ok: true, id: await write(email, idempotencyKey) };
      } catch (error) {
        return { ok: false, retryable: true, error: `Mailbox ${dir}: ${(error as Error).message}` };
      }
    },
    // A file per member under its own outbox id, which keeps each once; the batch's key is not needed.
    async sendBatch(emails) {
      try {
        const results: MemberResult[] = [];
        for (const email of emails) results.push({ ok: true, id: await write(email, email.messageId ?? "") });
        return { ok: true, results };
      } catch (error) {
        return { ok: false, retryable: true, error: `Mailbox ${dir}: ${(error as Error).message}` };
      }
    },
  };
}

/** Resend when `RESEND_API_KEY` is set (at `RESEND_BASE_URL` if given), else the mailbox in `MAILBOX_DIR` (default data/mailbox). */
export function transportFromEnv(env: NodeJS.ProcessEnv = process.env): Transport {
  if (env.RESEND_API_KEY) return resendTransport({ apiKey: env.RESEND_API_KEY, baseUrl: env.RESEND_BASE_URL || undefined });
  return mailboxTransport({ dir: mailboxDir(env) });
}

/** The local mailbox folder, absolute. */
export function mailboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MAILBOX_DIR || "data/mailbox");
}

/** The sender: `MAIL_FROM`, else the edition's short name at no-reply@localhost (fine for the mailbox, refused by a provider). */
export function mailFrom(env: NodeJS.ProcessEnv = process.env, edition?: Pick<Edition, "shortName">): string {
  if (env.MAIL_FROM) return env.MAIL_FROM;
  const name = edition?.shortName.en.replace(/["\\\r\n]/g, "") ?? "Forum";
  return `${name} <no-reply@localhost>`;
}

/** Where replies go: the organizers' contact address of the edition, when it has one. */
export function mailReplyTo(edition?: Pick<Edition, "contactEmail">): string | undefined {
  return edition?.contactEmail || undefined;
}
