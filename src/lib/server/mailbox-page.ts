import { isIP } from "node:net";
import { mailboxDir } from "../email/transport.ts";

/**
 * The local mailbox page shows every message the site sent, private links included, so it is
 * fenced: never with NODE_ENV=production or a Resend key, never when MAILBOX_PAGE=off, and only to
 * a visitor on this machine, connected directly (a loopback socket, and no proxy header: behind a
 * reverse proxy on the same host every visitor would look local).
 */
export function mailboxPageEnabled(clientAddress: string, headers: Headers, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.MAILBOX_PAGE === "off" || env.NODE_ENV === "production" || env.RESEND_API_KEY) return false;
  if (headers.has("x-forwarded-for") || headers.has("forwarded") || headers.has("x-real-ip")) return false;
  return isLoopback(clientAddress);
}

export function isLoopback(address: string): boolean {
  const plain = address.replace(/^::ffff:/i, "");
  if (isIP(plain) === 4) return plain.startsWith("127.");
  return plain === "::1";
}

export function mailboxFolder(): string {
  return mailboxDir();
}

export const notFound = () => new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
