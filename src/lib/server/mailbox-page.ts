import { isIP } from "node:net";
import { mailboxDir } from "../email/transport.ts";

/**
 * The local mailbox page shows every message the site sent, private links included, so it is
 * opt-in and fenced three ways: `MAILBOX_PAGE=on` (or the dev server), never with
 * NODE_ENV=production or a Resend key, and only to a visitor on this machine (loopback).
 */
export function mailboxPageEnabled(
  clientAddress: string,
  env: NodeJS.ProcessEnv = process.env,
  dev: boolean = import.meta.env.DEV,
): boolean {
  if (!(dev || env.MAILBOX_PAGE === "on")) return false;
  if (env.NODE_ENV === "production" || env.RESEND_API_KEY) return false;
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
