import { resolve } from "node:path";
import { Resend } from "resend";
import type { Edition } from "../config/edition.ts";
import { writeMailboxMessage, type MailboxEmail } from "./mailbox.ts";

/** What a transport is given: a rendered e-mail with its addresses (and template, for the record). */
export type OutgoingEmail = MailboxEmail;

/**
 * The outcome of one send. `retryable` failures come back later, the others are final. `retryAfterMs`
 * is set only for a rate limit: the provider asks every send to wait that long.
 */
export type SendResult = { ok: true; id: string } | { ok: false; retryable: boolean; retryAfterMs?: number; error: string };

/** Wait after a 429 that names no delay: Resend's limits are per second. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

/** A way out for e-mail: the provider, or the local mailbox. */
export interface Transport {
  name: string;
  /** Sends once per idempotency key: a second call with the same key never delivers a second copy. */
  send(email: OutgoingEmail, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<SendResult>;
}

/**
 * Resend through its SDK, the outbox id as idempotency key. Rate limits (429) are retried after the
 * `retry-after` the API gives; server errors (5xx), network errors, timeouts and a concurrent request
 * under the same key are retried; any other refusal (invalid address, unverified domain...) is final.
 */
export function resendTransport({ apiKey, baseUrl }: { apiKey: string; baseUrl?: string }): Transport {
  const resend = new Resend(apiKey, baseUrl ? { baseUrl: baseUrl.replace(/\/+$/, "") } : undefined);
  return {
    name: "resend",
    async send(email, { idempotencyKey, signal }) {
      let response: Awaited<ReturnType<typeof resend.emails.send>>;
      try {
        response = await resend.emails.send(
          {
            from: email.from,
            to: email.to,
            subject: email.subject,
            text: email.text,
            html: email.html,
            attachments: email.attachments.map((a) => ({
              filename: a.filename,
              content: a.content,
              contentType: a.contentType,
              ...(a.contentId ? { contentId: a.contentId } : {}),
            })),
            ...(email.template ? { tags: [{ name: "template", value: email.template.replace(/[^A-Za-z0-9_-]/g, "_") }] } : {}),
          },
          { idempotencyKey, ...(signal ? { signal } : {}) },
        );
      } catch (error) {
        // The SDK turns HTTP failures into values; a throw is an abort or a bug: try again later.
        return { ok: false, retryable: true, error: `Resend: ${(error as Error).message ?? error}` };
      }
      const { data, error, headers } = response;
      if (data?.id) return { ok: true, id: data.id };
      if (!error) return { ok: false, retryable: true, error: "Resend: empty answer" };
      const status = typeof error.statusCode === "number" ? error.statusCode : undefined;
      const reason = `Resend${status ? ` ${status}` : ""}${error.name ? ` ${error.name}` : ""}: ${error.message ?? "unknown error"}`;
      // No headers: the request never got an HTTP answer (connection refused or reset, DNS, timeout).
      if (headers === null || status === undefined) return { ok: false, retryable: true, error: reason };
      if (status === 429) {
        const retryAfterMs = parseRetryAfter(headers["retry-after"]) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
        return { ok: false, retryable: true, error: reason, retryAfterMs };
      }
      if (status >= 500 || (status === 409 && error.name === "concurrent_idempotent_requests"))
        return { ok: false, retryable: true, error: reason };
      // A refused key or an unverified sender is the account's problem, not the message's: pause and
      // keep the queue rather than failing every message one by one.
      if (status === 401 || status === 403) {
        return {
          ok: false,
          retryable: true,
          error: `${reason} (check RESEND_API_KEY and MAIL_FROM's domain)`,
          retryAfterMs: ACCOUNT_PROBLEM_WAIT_MS,
        };
      }
      return { ok: false, retryable: false, error: reason };
    },
  };
}

/** How long the worker pauses when Resend refuses the account (401, 403) before trying again. */
export const ACCOUNT_PROBLEM_WAIT_MS = 5 * 60_000;

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The local mailbox: one `.eml` file per message in `dir` (see mailbox.ts). Never fails but on a full disk. */
export function mailboxTransport({ dir }: { dir: string }): Transport {
  return {
    name: "mailbox",
    async send(email, { idempotencyKey }) {
      try {
        return { ok: true, id: writeMailboxMessage(dir, email, idempotencyKey) };
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
