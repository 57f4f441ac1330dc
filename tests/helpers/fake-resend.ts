import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * A stand-in for Resend's `POST /emails` on 127.0.0.1, for the real SDK pointed at it with
 * `RESEND_BASE_URL`. It checks the bearer key, answers `{ id }`, and keeps Resend's idempotency
 * promise: a request under a key it has accepted gets the same id back and delivers nothing more.
 * A plan decides how each request fares, to imitate an unreliable provider.
 */

/** How one request fares. */
export type Behaviour =
  /** Accepted and answered. */
  | "ok"
  /** 500 internal_server_error, nothing recorded. */
  | "500"
  /** 429 rate_limit_exceeded with `retry-after: 1`, nothing recorded. */
  | "429"
  /** The connection is destroyed before any answer, nothing recorded. */
  | "drop"
  /** Recorded as delivered, then the connection is destroyed: the client cannot know it went through. */
  | "accept-then-drop"
  /** Recorded as delivered, then no answer at all until the client goes away (a worker killed mid-send). */
  | "accept-then-hang"
  /** 422 validation_error: a final refusal. */
  | "422";

/** One request as the plan sees it. */
export interface PlannedRequest {
  /** 1-based count of requests received so far, this one included. */
  n: number;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
  /** Messages delivered so far (unique keys). */
  delivered: number;
}

/** A message the fake accepted (once per idempotency key). */
export interface Delivery {
  id: string;
  key: string | undefined;
  from: string;
  to: string;
  subject: string;
  text: string;
  attachments: { filename: string; contentType?: string; contentId?: string }[];
  at: number;
}

/** A request as received, with what the fake did. */
export interface RequestLog {
  at: number;
  key: string | undefined;
  to: string;
  behaviour: Behaviour | "duplicate" | "unauthorized" | "bad-request";
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
  close(): Promise<void>;
}

/** Starts the fake. `plan` picks each request's behaviour ("ok" by default); a duplicate key is always answered as before. */
export async function startFakeResend({
  apiKey = "re_test",
  plan = () => "ok",
}: { apiKey?: string; plan?: (request: PlannedRequest) => Behaviour } = {}): Promise<FakeResend> {
  const byKey = new Map<string, string>();
  const delivered: Delivery[] = [];
  const log: RequestLog[] = [];
  const sockets = new Set<Socket>();
  let requests = 0;
  let nextId = 1;
  let onHang: () => void = () => {};
  const hung = new Promise<void>((resolve) => (onHang = resolve));

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests++;
    const at = Date.now();
    const key = req.headers["idempotency-key"] as string | undefined;
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      /* answered below */
    }
    const to = Array.isArray(body.to) ? String(body.to[0]) : String(body.to ?? "");
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      log.push({ at, key, to, behaviour: "unauthorized" });
      return json(res, 401, { statusCode: 401, name: "missing_api_key", message: "Missing or wrong API key" });
    }
    if (req.method !== "POST" || req.url !== "/emails" || typeof body.subject !== "string" || !to) {
      log.push({ at, key, to, behaviour: "bad-request" });
      return json(res, 422, { statusCode: 422, name: "validation_error", message: "Bad request" });
    }
    const known = key !== undefined ? byKey.get(key) : undefined;
    if (known) {
      log.push({ at, key, to, behaviour: "duplicate" });
      return json(res, 200, { id: known });
    }
    const behaviour = plan({ n: requests, idempotencyKey: key, body, delivered: delivered.length });
    log.push({ at, key, to, behaviour });
    const accept = () => {
      const id = `fake-${nextId++}`;
      if (key !== undefined) byKey.set(key, id);
      delivered.push({
        id,
        key,
        from: String(body.from ?? ""),
        to,
        subject: String(body.subject),
        text: String(body.text ?? ""),
        attachments: ((body.attachments as Record<string, string>[] | undefined) ?? []).map((a) => ({
          filename: a.filename!,
          contentType: a.content_type,
          contentId: a.content_id,
        })),
        at,
      });
      return id;
    };
    switch (behaviour) {
      case "ok":
        return json(res, 200, { id: accept() });
      case "500":
        return json(res, 500, { statusCode: 500, name: "internal_server_error", message: "Something went wrong" });
      case "429":
        return json(res, 429, { statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests" }, { "retry-after": "1" });
      case "422":
        return json(res, 422, { statusCode: 422, name: "validation_error", message: "The to address is invalid" });
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
