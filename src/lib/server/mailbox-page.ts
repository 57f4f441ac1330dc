import { mailboxDir } from "../email/transport.ts";

/**
 * The local mailbox page exists only outside production (NODE_ENV is not "production") and only
 * while mail goes to the mailbox (no RESEND_API_KEY): it shows every message the site sent, links
 * included, so it must never be reachable on a real deployment.
 */
export function mailboxPageEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NODE_ENV !== "production" && !env.RESEND_API_KEY;
}

export function mailboxFolder(): string {
  return mailboxDir();
}

export const notFound = () => new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
