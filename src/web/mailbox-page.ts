import { mailboxDir } from "../lib/email/transport.ts";
import { isLoopbackAddress, type Edge } from "../lib/security/proxy.ts";

/**
 * The local mailbox page shows every message the site sent, private links included, so it is
 * fenced: off unless MAILBOX_PAGE=on, never with NODE_ENV=production or a Resend key, and only to a
 * visitor on this machine connected directly: a loopback socket, no proxy (no forwarding header,
 * no peer that TRUST_PROXY names: behind a reverse proxy on the same host every visitor would look
 * local), and a Host that names this machine (a proxy passing the public name, or a page that
 * rebinds its own name to 127.0.0.1, is refused).
 */
export function mailboxPageEnabled(edge: Edge, headers: Headers, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!mailboxPageAllowed(env)) return false;
  if (edge.proxied || !isLoopbackAddress(edge.peer)) return false;
  return isLocalHost(headers.get("host"));
}

/** What the environment says, before any request: on, and no production setting against it. */
function mailboxPageAllowed(env: NodeJS.ProcessEnv): boolean {
  return env.MAILBOX_PAGE === "on" && env.NODE_ENV !== "production" && !env.RESEND_API_KEY;
}

/** True for a Host header naming this machine: localhost, a loopback address, with any port. */
export function isLocalHost(host: string | null | undefined): boolean {
  if (!host) return false;
  if (isLoopbackAddress(host)) return true;
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host.toLowerCase());
  if (!match) return false;
  const name = match[1].replace(/^\[(.*)\]$/, "$1");
  return name === "localhost" || name.endsWith(".localhost") || isLoopbackAddress(name);
}

/** True when HOST (the listening address) is only reachable from this machine. */
const listensLocally = (host: string) => isLocalHost(host);

/**
 * `npm start` (the demo) turns the page on when nothing says otherwise, and only while the server
 * listens on this machine alone (HOST localhost, the default) with no proxy configured.
 */
export function demoMailboxPage(env: NodeJS.ProcessEnv = process.env): void {
  if (env.MAILBOX_PAGE !== undefined || env.TRUST_PROXY) return;
  if (listensLocally(env.HOST ?? "localhost")) env.MAILBOX_PAGE = "on";
}

/** The start-up line about the page: where it is when shown, or why a setting was not understood. */
export function mailboxPageNotice(host: string, port: number, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.MAILBOX_PAGE;
  if (value !== undefined && value !== "on" && value !== "off")
    return `MAILBOX_PAGE=${value} is neither on nor off: the mailbox page stays off.`;
  if (!mailboxPageAllowed(env)) return undefined;
  const shown = listensLocally(host) ? host : "localhost";
  return `Local mailbox: http://${shown.includes(":") ? `[${shown}]` : shown}:${port}/dev/mailbox (visitors on this machine only, never through a proxy).`;
}

export function mailboxFolder(): string {
  return mailboxDir();
}

export const notFound = () => new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
