import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * A stand-in for Resend's `POST /emails` and `POST /emails/batch` on 127.0.0.1, for the real SDK
 * pointed at it with `RESEND_BASE_URL`. It checks the bearer key and keeps Resend's promises:
 *
 * - idempotency: a request under a key it has answered gets the same answer again and delivers
 *   nothing more; the same key with another body is refused (409 `invalid_idempotent_request`);
 * - batches of up to 100 without attachments, validated strictly (one bad member refuses all) or,
 *   with `x-batch-validation: permissive`, member by member (`errors` by index, `data` for the rest);
 * - with `rateLimit`, a fixed window of `limit` requests per `windowMs` (aligned on the clock, as a
 *   counter per second would be), every answer carrying `ratelimit-limit`, `ratelimit-remaining`
 *   and `ratelimit-reset` (whole seconds, rounded up), and a 429 with `retry-after` beyond it.
 *
 * A plan decides how each request fares, to imitate an unreliable provider.
 */

/** How one request fares. */
export type Behaviour =
  /** Accepted and answered. */
  | "ok"
  /** 500 internal_server_error, nothing recorded. */
  | "500"
  /** 429 rate_limit_exceeded with `retry-after: 1`, nothing recorded (a limit the plan imposes besides `rateLimit`). */
  | "429"
  /** The connection is destroyed before any answer, nothing recorded. */
  | "drop"
  /** Recorded as delivered, then the connection is destroyed: the client cannot know it went through. */
  | "accept-then-drop"
  /** Recorded as delivered, then no answer at all until the client goes away (a worker killed mid-send). */
  | "accept-then-hang"
  /** 422 validation_error: a final refusal of the whole request. */
  | "422";

/** One request as the plan sees it (only requests under a key not answered yet, within the rate limit). */
export interface PlannedRequest {
  /** 1-based count of requests received so far, this one included. */
  n: number;
  idempotencyKey: string | undefined;
  /** The message, or the first of a batch. */
  body: Record<string, unknown>;
  /** Every message of the request. */
  emails: Record<string, unknown>[];
  batch: boolean;
  /** Messages delivered so far. */
  delivered: number;
}

/** A message the fake accepted (once per idempotency key). */
export interface Delivery {
  id: string;
  /** The idempotency key of the request that carried it. */
  key: string | undefined;
  /** Its place in its batch (0 when sent alone). */
  index: number;
  batch: boolean;
  from: string;
  to: string;
  replyTo: string | undefined;
  subject: string;
  text: string;
  attachments: { filename: string; contentType?: string; contentId?: string }[];
  at: number;
}

/** A request as received, with what the fake did. */
export interface RequestLog {
  at: number;
  key: string | undefined;
  /** The first recipient. */
  to: string;
  /** Messages in the request. */
  count: number;
  batch: boolean;
  behaviour: Behaviour | "duplicate" | "conflict" | "rate-limited" | "unauthorized" | "bad-request";
}

export interface FakeResend {
  /** Base URL for RESEND_BASE_URL. */
  url: string;
  apiKey: string;
  /** Unique accepted messages, in order. */
  deliveries(): Delivery[];
  /** Every request received, in order. */
  log: RequestLog[];
  /** Number of requests received. */
  readonly requests: number;
  /** Resolves when a request has been held by `accept-then-hang`. */
  hung(): Promise<void>;
  /** Resolves when `n` messages were delivered. */
  delivered(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface FakeResendOptions {
  apiKey?: string;
  plan?: (request: PlannedRequest) => Behaviour;
  /** Refuses one message (as a validation error with this message), wherever it is. */
  refuse?: (email: Record<string, unknown>) => string | undefined;
  /** Resend's rate limit: at most `limit` requests per `windowMs`. */
  rateLimit?: { limit: number; windowMs?: number };
  /** Time taken before answering, in ms. */
  latencyMs?: number;
}

interface Answer {
  status: number;
  body: unknown;
}

const MAX_BATCH = 100;

/** Starts the fake. `plan` picks each request's behaviour ("ok" by default); a known key is always answered as before. */
export async function startFakeResend({
  apiKey = "re_test",
  plan = () => "ok",
  refuse = () => undefined,
  rateLimit,
  latencyMs = 0,
}: FakeResendOptions = {}): Promise<FakeResend> {
  const byKey = new Map<string, { digest: string; answer: Answer }>();
  const delivered: Delivery[] = [];
  const log: RequestLog[] = [];
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let requests = 0;
  let nextId = 1;
  let onHang: () => void = () => {};
  const hung = new Promise<void>((resolve) => (onHang = resolve));
  const window = { start: 0, used: 0 };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (status: number, name: string, message: string) => ({ status, body: { statusCode: status, name, message } });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests++;
    const at = Date.now();
    const raw = Buffer.concat(chunks).toString("utf8");
    const key = req.headers["idempotency-key"] as string | undefined;
    const batch = req.url === "/emails/batch";
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const emails = (batch ? (Array.isArray(parsed) ? parsed : []) : parsed && typeof parsed === "object" ? [parsed] : []) as Record<
      string,
      unknown
    >[];
    const first = emails[0] ?? {};
    const to = Array.isArray(first.to) ? String(first.to[0]) : String(first.to ?? "");
    const entry = (behaviour: RequestLog["behaviour"]) => log.push({ at, key, to, count: emails.length, batch, behaviour });

    // Every request counts in the window, whatever comes of it.
    let rateHeaders: Record<string, string> = {};
    if (rateLimit) {
      const windowMs = rateLimit.windowMs ?? 1_000;
      const start = Math.floor(at / windowMs) * windowMs;
      if (start !== window.start) Object.assign(window, { start, used: 0 });
      window.used++;
      const reset = String(Math.max(1, Math.ceil((start + windowMs - at) / 1000)));
      rateHeaders = {
        "ratelimit-limit": String(rateLimit.limit),
        "ratelimit-remaining": String(Math.max(0, rateLimit.limit - window.used)),
        "ratelimit-reset": reset,
      };
      if (window.used > rateLimit.limit) {
        entry("rate-limited");
        return send(
          res,
          429,
          { statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests. You can only make 2 requests per second." },
          { ...rateHeaders, "retry-after": reset },
        );
      }
    }
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const answer = (a: Answer, extra: Record<string, string> = {}) => send(res, a.status, a.body, { ...rateHeaders, ...extra });

    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      entry("unauthorized");
      return answer(error(401, "missing_api_key", "Missing or wrong API key"));
    }
    const shapeOk =
      req.method === "POST" &&
      (req.url === "/emails" || batch) &&
      emails.length > 0 &&
      (!batch || emails.length <= MAX_BATCH) &&
      emails.every((e) => typeof e.subject === "string" && e.to) &&
      (!batch || emails.every((e) => !e.attachments));
    if (!shapeOk) {
      entry("bad-request");
      return answer(error(422, "validation_error", "Bad request"));
    }
    const digest = createHash("sha256").update(raw).digest("hex");
    const known = key !== undefined ? byKey.get(key) : undefined;
    if (known) {
      if (known.digest !== digest) {
        entry("conflict");
        return answer(error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload."));
      }
      entry("duplicate");
      return answer(known.answer);
    }

    const behaviour = plan({ n: requests, idempotencyKey: key, body: first, emails, batch, delivered: delivered.length });
    entry(behaviour);
    const permissive = batch && req.headers["x-batch-validation"] === "permissive";
    const refusals = emails.map((e) => refuse(e));
    const accept = (): Answer => {
      let result: Answer;
      if (!permissive && refusals.some((r) => r !== undefined)) {
        result = error(
          422,
          "validation_error",
          refusals.find((r) => r !== undefined)!,
        );
      } else {
        const data: { id: string }[] = [];
        const errors: { index: number; message: string }[] = [];
        emails.forEach((email, index) => {
          if (refusals[index] !== undefined) return errors.push({ index, message: refusals[index]! });
          const id = `fake-${nextId++}`;
          data.push({ id });
          delivered.push(deliveryOf(email, id, key, index, batch, at));
        });
        result = { status: 200, body: batch ? (permissive ? { data, errors } : { data }) : { id: data[0]!.id } };
        for (const waiter of waiters.filter((w) => delivered.length >= w.n)) waiter.resolve();
      }
      if (key !== undefined) byKey.set(key, { digest, answer: result });
      return result;
    };
    switch (behaviour) {
      case "ok":
        return answer(accept());
      case "500":
        return answer(error(500, "internal_server_error", "Something went wrong"));
      case "429":
        return answer(error(429, "rate_limit_exceeded", "Too many requests"), { "retry-after": "1" });
      case "422":
        return answer(error(422, "validation_error", "The to address is invalid"));
      case "drop":
        return req.socket.destroy();
      case "accept-then-drop":
        accept();
        return req.socket.destroy();
      case "accept-then-hang":
        accept();
        onHang();
        return; // never answered; the socket is destroyed by close() or when the client goes away
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    deliveries: () => [...delivered],
    log,
    get requests() {
      return requests;
    },
    hung: () => hung,
    delivered: (n) => new Promise<void>((resolve) => (delivered.length >= n ? resolve() : waiters.push({ n, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function deliveryOf(
  email: Record<string, unknown>,
  id: string,
  key: string | undefined,
  index: number,
  batch: boolean,
  at: number,
): Delivery {
  const address = (v: unknown) => (Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v));
  return {
    id,
    key,
    index,
    batch,
    from: String(email.from ?? ""),
    to: address(email.to) ?? "",
    replyTo: address(email.reply_to),
    subject: String(email.subject),
    text: String(email.text ?? ""),
    attachments: ((email.attachments as Record<string, string>[] | undefined) ?? []).map((a) => ({
      filename: a.filename!,
      contentType: a.content_type,
      contentId: a.content_id,
    })),
    at,
  };
}

/** A webhook signing secret as Resend shows it (`whsec_` and base64 of random bytes). */
export const WEBHOOK_SECRET = `whsec_${Buffer.from("a test secret of thirty-two bytes!").toString("base64")}`;

/**
 * The headers Resend (through Svix) sends with a webhook: `svix-id`, `svix-timestamp` (seconds) and
 * `svix-signature` (`v1,` and base64 of HMAC-SHA256 over `id.timestamp.body` with the secret's bytes).
 */
export function signWebhook(
  body: string,
  { id = `msg_${createHash("sha256").update(body).digest("hex").slice(0, 24)}`, at = Date.now(), secret = WEBHOOK_SECRET } = {},
): Record<string, string> {
  const timestamp = String(Math.floor(at / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": `v1,${signature}` };
}

/** A Resend email event (`email.delivered`, `email.bounced`...) for the message `emailId`. */
export function emailEvent(type: string, emailId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type,
    created_at: "2013-07-01T08:00:05.000Z",
    data: {
      created_at: "2013-07-01T08:00:00.000Z",
      email_id: emailId,
      from: "Forum <forum@example.org>",
      to: ["ada@example.org"],
      subject: "Confirm your address",
      ...extra,
    },
  });
}
