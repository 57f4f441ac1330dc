// The server's own listener, before Astro: which forwarding headers it believes (TRUST_PROXY), and
// the methods it refuses. With no proxy configured every forwarding header is ignored (today's
// behaviour); with one, only what the trusted hop says is believed, and nothing malformed is a 500.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registrationFields } from "../helpers/forms.ts";
import { httpRequest, startServer, type TestServer } from "../helpers/server.ts";

let plain: TestServer;
let proxied: TestServer;

beforeAll(async () => {
  // Both start at once; whichever started is stopped by afterAll even if the other did not.
  const [a, b] = await Promise.allSettled([
    startServer({ REGISTER_LIMIT_IP: "2/600", MAIL_WORKER: "off" }).then((s) => (plain = s)),
    // Every loopback peer is "the proxy" here; the public origin is https.
    startServer({ TRUST_PROXY: "loopback", SITE_URL: "https://forum.example.org", REGISTER_LIMIT_IP: "2/600", MAIL_WORKER: "off" }).then(
      (s) => (proxied = s),
    ),
  ]);
  for (const result of [a, b]) if (result.status === "rejected") throw result.reason;
});
afterAll(async () => {
  await Promise.all([plain?.stop(), proxied?.stop()]);
});

let n = 0;
/** Posts a registration with exactly `headers` (Host and Origin included when given). */
function register(server: TestServer, headers: Record<string, string>) {
  n += 1;
  return httpRequest(`${server.url}/register?_action=register`, {
    method: "POST",
    headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(registrationFields(`edge${n}@example.org`)).toString(),
  });
}

/** The public origin as a browser behind a TLS proxy sends it, with what the proxy adds. */
const viaProxy = (client: string, extra: Record<string, string> = {}) => ({
  Host: "forum.example.org",
  Origin: "https://forum.example.org",
  "X-Forwarded-Proto": "https",
  "X-Forwarded-For": client,
  ...extra,
});

describe("with no proxy configured (the default)", () => {
  it("believes no X-Forwarded-For: one client cannot pose as many to escape the limit", async () => {
    expect((await register(plain, { "X-Forwarded-For": "198.51.100.1" })).status).toBe(303);
    expect((await register(plain, { "X-Forwarded-For": "198.51.100.2" })).status).toBe(303);
    const forgeries: Record<string, string>[] = [
      { "X-Forwarded-For": "198.51.100.3" },
      { Forwarded: "for=198.51.100.4" },
      { "X-Real-IP": "198.51.100.5" },
    ];
    for (const forged of forgeries) {
      expect((await register(plain, forged)).status, JSON.stringify(forged)).toBe(429);
    }
  });

  it("believes no X-Forwarded-Proto or Host: no HSTS, no Secure cookie, and the https origin is not this one", async () => {
    const page = await httpRequest(`${plain.url}/signin`, { headers: { "X-Forwarded-Proto": "https" } });
    expect(page.status).toBe(200);
    expect(page.headers["strict-transport-security"]).toBeUndefined();
    const asked = await httpRequest(`${plain.url}/signin?_action=requestSignIn`, {
      method: "POST",
      headers: { Origin: plain.url, "Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-Proto": "https" },
      body: "email=edge.plain%40example.org&next=%2F",
    });
    expect(asked.status).toBe(303);
    expect(String(asked.headers["set-cookie"])).not.toMatch(/secure/i);
    const forged = await register(plain, {
      Origin: "https://forum.example.org",
      "X-Forwarded-Proto": "https",
      "X-Forwarded-Host": "forum.example.org",
    });
    expect(forged.status).toBe(403);
  });
});

describe("behind a trusted proxy (TRUST_PROXY=loopback)", () => {
  it("accepts forms from the public https origin, with HSTS and Secure cookies", async () => {
    const response = await register(proxied, viaProxy("203.0.113.10"));
    expect(response.status, response.body).toBe(303);
    expect(response.headers["strict-transport-security"]).toBe("max-age=31536000");
    const asked = await httpRequest(`${proxied.url}/signin?_action=requestSignIn`, {
      method: "POST",
      headers: { ...viaProxy("203.0.113.10"), "Content-Type": "application/x-www-form-urlencoded" },
      body: "email=edge.proxied%40example.org&next=%2F",
    });
    expect(asked.status).toBe(303);
    expect(String(asked.headers["set-cookie"])).toMatch(/;\s*Secure/i);
    // The proxy said http: that page was not https, and its form is not from the https origin. The
    // log says once what to fix.
    expect((await register(proxied, viaProxy("203.0.113.10", { "X-Forwarded-Proto": "http" }))).status).toBe(403);
    expect(proxied.output()).toContain(
      "A form posted from https://forum.example.org reached the site as http://forum.example.org and was refused: the proxy at 127.0.0.1 must pass on the browser's protocol",
    );
  });

  it("limits each client, walking X-Forwarded-For from the right (a forged leftmost entry is not the client)", async () => {
    expect((await register(proxied, viaProxy("203.0.113.20"))).status).toBe(303);
    expect((await register(proxied, viaProxy("198.51.100.9, 203.0.113.20"))).status).toBe(303);
    expect((await register(proxied, viaProxy("198.51.100.10, 203.0.113.20"))).status).toBe(429);
    // Someone else behind the same proxy is not limited by it.
    expect((await register(proxied, viaProxy("203.0.113.21"))).status).toBe(303);
    // RFC 7239 says the same, and is read the same way.
    const forwarded = { Host: "forum.example.org", Origin: "https://forum.example.org", Forwarded: 'for="[2001:db8::5]:4711";proto=https' };
    expect((await register(proxied, forwarded)).status).toBe(303);
    expect((await register(proxied, { ...forwarded, Forwarded: 'for=198.51.100.1, for="[2001:db8::5]";proto=https' })).status).toBe(303);
    expect((await register(proxied, forwarded)).status).toBe(429);
    // The same /64 is the same subscriber.
    expect((await register(proxied, { ...forwarded, Forwarded: 'for="[2001:db8::6]";proto=https' })).status).toBe(429);
  });

  it("answers malformed or conflicting forwarding headers without an error, believing none of them", async () => {
    const malformed: Record<string, string>[] = [
      { Forwarded: 'for="198.51.100.1' },
      { Forwarded: "for=2001:db8::1;proto=https" },
      { Forwarded: "for=198.51.100.1;for=198.51.100.2" },
      { Forwarded: "\u00e9=\u00e9" },
      { Forwarded: ";".repeat(2000) },
      { "X-Forwarded-For": "not an address, <script>" },
      { "X-Forwarded-For": Array.from({ length: 500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(", ") },
      { "X-Forwarded-Host": "evil.example/path" },
      { "X-Forwarded-Proto": "gopher" },
      { Forwarded: "for=198.51.100.1;proto=https", "X-Forwarded-For": "198.51.100.2" },
    ];
    for (const headers of malformed) {
      const page = await httpRequest(`${proxied.url}/programme`, { headers });
      expect(page.status, JSON.stringify(headers).slice(0, 80)).toBe(200);
      // Not believed: the page was not served as https.
      expect(page.headers["strict-transport-security"], JSON.stringify(headers).slice(0, 80)).toBeUndefined();
    }
    // A form through a proxy whose Forwarded cannot be read: not taken as coming from the https origin.
    expect((await register(proxied, { ...viaProxy("203.0.113.30"), Forwarded: 'for="x' })).status).toBe(403);
    expect(proxied.output()).not.toMatch(/error|at .+:\d+:\d+/i);
  });
});

describe("TRUST_PROXY that cannot be understood", () => {
  // Every refusal's wording is unit-tested (proxy.test.ts); here, that the server acts on it.
  it("keeps the server from starting, saying why (never a silent default)", { timeout: 60_000 }, async () => {
    const values = ["yes", "10.0.0.0/33"];
    const runs = values.map((value) => {
      const child = spawn(process.execPath, ["scripts/serve.mjs"], {
        env: { ...process.env, TRUST_PROXY: value, PORT: "0", DATABASE_PATH: ":memory:", MAIL_WORKER: "off" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      // A server that wrongly started is not left running.
      const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
      return new Promise<{ code: number | null; output: string }>((resolve) =>
        child.once("exit", (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        }),
      );
    });
    for (const [i, { code, output }] of (await Promise.all(runs)).entries()) {
      expect(code, values[i]).toBe(1);
      // The log's lines are JSON: read their messages.
      const messages = output
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages.join("\n")).toContain(`TRUST_PROXY="${values[i]}"`);
      expect(output).not.toContain("listening");
    }
  });
});

/** Sends `request` as raw bytes and returns what the server answered before closing. */
function raw(server: TestServer, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1");
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("end", () => resolve(answer));
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.write(request, "latin1");
  });
}

describe("methods", () => {
  it.each([
    "TRACE / HTTP/1.1",
    "TRACK / HTTP/1.1",
    "CONNECT example.org:443 HTTP/1.1",
    "FOO / HTTP/1.1",
    "PUT /register HTTP/1.1",
    "DELETE /admin HTTP/1.1",
    "PROPFIND / HTTP/1.1",
  ])("%s: 405 with Allow, before Astro", async (line) => {
    const answer = await raw(plain, `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(answer).toMatch(/\r\nallow: GET, HEAD, POST, OPTIONS\r\n/i);
    expect(answer).toContain("This site answers GET, HEAD, POST (and OPTIONS) only.");
  });

  it("OPTIONS: 204 with Allow; GET, HEAD and POST as before", async () => {
    expect(await raw(plain, "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 204 No Content\r\n(.*\r\n)*allow: GET, HEAD, POST, OPTIONS\r\n/i,
    );
    expect(await raw(plain, "HEAD /programme HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(await raw(plain, "GET /programme HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it("a request the parser cannot read is still a plain 400, and nothing was logged as an error", async () => {
    expect(await raw(plain, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(plain.output()).not.toMatch(/error|at .+:\d+:\d+/i);
  });
});
