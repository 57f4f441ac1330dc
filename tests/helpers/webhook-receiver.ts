import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
// The receiver checks signatures with the very snippet the documentation gives (docs/webhooks.md).
import { verifyForumWebhook } from "../../docs/examples/verify-webhook.mjs";

/** One request as the receiver saw it. */
export interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** Whether the documented snippet verified its signature with the secret known at that time. */
  verified: boolean;
}

/**
 * A webhook receiver on 127.0.0.1 (port chosen by the OS): records every request, checks its
 * signature with the documented snippet, and answers with `answer` (which may also never answer).
 */
export async function webhookReceiver(
  secret: () => string,
  answer: (req: Received, n: number, res: ServerResponse) => void = (_r, _n, res) => res.writeHead(200).end(),
) {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const got = { path: req.url ?? "", headers: req.headers, body, verified: verifyForumWebhook(secret(), req.headers, body) };
      received.push(got);
      answer(got, received.length, res);
      waiters.splice(0).forEach((w) => w());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Resolves once `n` requests have arrived. */
    until: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (received.length >= n ? resolve() : waiters.push(check));
        check();
      }),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
