// Logs and metrics as an operator reads them: one JSON line per request with its id, route pattern,
// status and latency and no personal data; errors with their stack once; /metrics for this machine
// or a token only.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const REGISTER = "/register?_action=register";
const TOKEN = "metrics-token-for-the-tests-0123456789";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60", METRICS_TOKEN: TOKEN });
});
afterAll(() => server?.stop());

type Line = Record<string, unknown> & { msg: string; level: string; role: string; pid: number };
const lines = (from = 0): Line[] =>
  server
    .output()
    .slice(from)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Line);

/** Waits for the request line of `reqId`. */
async function requestLine(reqId: string): Promise<Line> {
  await server.waitForOutput(new RegExp(`"reqId":"${reqId}".*"route"`));
  return lines().find((l) => l.reqId === reqId && l.route !== undefined)!;
}

describe("request log", () => {
  it("writes every line as JSON, one per request, with id, method, route pattern, status and latency", async () => {
    const response = await fetch(`${server.url}/programme?day=2013-07-02`);
    expect(response.status).toBe(200);
    const reqId = response.headers.get("x-request-id")!;
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    const line = await requestLine(reqId);
    expect(line).toMatchObject({ level: "info", role: "http", method: "GET", route: "/programme", status: 200, msg: "GET /programme 200" });
    expect(typeof line.ms).toBe("number");
    expect(typeof line.time).toBe("string");
    expect(JSON.stringify(line)).not.toContain("2013-07-02");
    // Every line of the output is JSON (the helper's parse would have thrown otherwise).
    expect(lines().length).toBeGreaterThan(1);
  });

  it("gives each request its own id", async () => {
    const ids = await Promise.all([1, 2, 3].map(async () => (await fetch(`${server.url}/health`)).headers.get("x-request-id")));
    expect(new Set(ids).size).toBe(3);
  });

  it("never writes a private link's token, an address or a name", async () => {
    const from = server.output().length;
    const email = "Observed.Person@example.org";
    const name = "Zéphyrine Observée";
    const registered = await postForm(server, REGISTER, registrationFields(email, "industry", { name, organisation: "Secret Org" }));
    expect(registered.status).toBe(303);
    const data = serverDb(server);
    const token = data.linkTokenOf(email.toLowerCase());
    data.close();
    const page = await fetch(`${server.url}/register/manage/${token}?from=${encodeURIComponent(email)}`);
    expect(page.status).toBe(200);
    const missing = await fetch(`${server.url}/register/manage/${token.slice(1)}x`);
    expect(missing.status).toBe(404);
    const line = await requestLine(page.headers.get("x-request-id")!);
    expect(line.route).toBe("/register/manage/[token]");
    await requestLine(missing.headers.get("x-request-id")!);

    const written = server.output().slice(from);
    expect(written).toContain('"route":"/register"');
    for (const secret of [token, token.slice(1), email, email.toLowerCase(), name, "Zéphyrine", "Secret Org", "example.org"])
      expect(written).not.toContain(secret);
  });

  it("logs a client that went away as 499, aborted", async () => {
    const from = server.output().length;
    // A form whose body never completes: the client gives up while the server waits for it.
    const req = request(`${server.url}${REGISTER}`, {
      method: "POST",
      agent: false,
      headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "500" },
    });
    req.on("error", () => {});
    req.write("category=industry&", () => req.destroy());
    await server.waitForOutput(/"aborted":true/, { from });
    expect(lines(from).find((l) => l.aborted)).toMatchObject({ status: 499, method: "POST" });
  });
});

describe("errors", () => {
  it("logs a failing page once, with its stack and the request's id", async () => {
    const dir = mkdtempSync(join(tmpdir(), "forum-broken-"));
    const blocker = join(dir, "not-a-directory");
    writeFileSync(blocker, "");
    const broken = await startServer({ DATABASE_PATH: join(blocker, "forum.db") }, { healthy: false });
    try {
      const from = broken.output().length;
      const page = await fetch(`${broken.url}/sessions/opening-keynote-anticipating-crime`);
      expect(page.status).toBe(500);
      const reqId = page.headers.get("x-request-id")!;
      await broken.waitForOutput(new RegExp(`"reqId":"${reqId}".*"status":500`), { from });
      const about = broken
        .output()
        .slice(from)
        .split("\n")
        .filter((l) => l.includes(reqId))
        .map((l) => JSON.parse(l) as Line);
      const stacks = about.filter((l) => /\n\s+at /.test(String(l.msg) + JSON.stringify(l.err ?? "")));
      expect(stacks).toHaveLength(1);
      expect(stacks[0].level).toBe("error");
      expect(about.find((l) => l.status === 500)).toMatchObject({ level: "error", route: "/sessions/[slug]" });
    } finally {
      await broken.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("/metrics", () => {
  const scrape = (headers: Record<string, string> = {}) => fetch(`${server.url}/metrics`, { headers });

  it("answers this machine in Prometheus's text format, with requests, outbox and registrations", async () => {
    // Twice, without a session: the second answer comes from the response cache.
    await (await fetch(`${server.url}/programme`)).arrayBuffer();
    await (await fetch(`${server.url}/programme`)).arrayBuffer();
    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toMatch(/^forum_http_requests_total\{method="GET",route="\/programme",status="2xx"\} \d+$/m);
    expect(text).toMatch(/^forum_http_request_duration_seconds_bucket\{le="0\.1",route="\/programme",status="2xx"\} \d+$/m);
    expect(text).toMatch(/^forum_registrations\{state="pending_email"\} [1-9]\d*$/m);
    expect(text).toMatch(/^forum_outbox_messages\{state="pending"\} [1-9]\d*$/m);
    expect(text).toMatch(/^forum_outbox_messages\{state="failed"\} 0$/m);
    expect(text).toMatch(/^forum_mail_worker_running 0$/m);
    expect(text).toMatch(/^forum_database_up 1$/m);
    expect(text).toMatch(/^forum_workers\{role="http"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes\{role="http"\} \d+/m);
    expect(text).toMatch(/^# TYPE forum_cache_lookups_total counter$/m);
    expect(text).toMatch(/^forum_cache_lookups_total\{cache="response",result="hit"\} [1-9]\d*$/m);
    expect(text).toMatch(/^forum_cache_lookups_total\{cache="response",result="miss"\} [1-9]\d*$/m);
    expect(text).toMatch(/^forum_outbox_delivery_reports\{delivery="bounced"\} 0$/m);
    // No route in the metrics carries a token either.
    expect(text).not.toMatch(/route="\/register\/manage\/[A-Za-z0-9_-]{20,}/);
  });

  it("refuses a request that came through a proxy, even from this machine", async () => {
    const proxied: Record<string, string>[] = [
      { "X-Forwarded-For": "127.0.0.1" },
      { Forwarded: "for=127.0.0.1" },
      { "X-Real-IP": "127.0.0.1" },
      { Via: "1.1 nginx" },
    ];
    for (const header of proxied) {
      const response = await scrape(header);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain("METRICS_TOKEN");
    }
  });

  it("answers the bearer token, from anywhere, and refuses a wrong one", async () => {
    expect((await scrape({ Authorization: `Bearer ${TOKEN}`, "X-Forwarded-For": "203.0.113.9" })).status).toBe(200);
    const wrong = await scrape({ Authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
    expect((await scrape({ Authorization: "Basic Zm9vOmJhcg==" })).status).toBe(401);
  });

  it("takes GET and HEAD only", async () => {
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${server.url}/metrics`, { method: "HEAD" })).status).toBe(200);
  });
});
