import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IncomingHttpHeaders } from "node:http";

/** Debian's nginx (`apt-get install -y nginx`); the proxy test runs its own instance of it, never the system's. */
export const NGINX_PATH = process.env.NGINX_PATH ?? "/usr/sbin/nginx";
export const INSTALL_NGINX = "apt-get install -y nginx";

const available = existsSync(NGINX_PATH) && spawnSync("openssl", ["version"]).status === 0;

// As with the browser: outside CI a missing nginx skips the proxy test with the command that fixes
// it; in CI (CI or REQUIRE_BROWSER=1) it fails, so the suite cannot pass without having run it.
if (!available) {
  const message = `${NGINX_PATH} (or openssl) is missing. Install it with: ${INSTALL_NGINX}`;
  if (process.env.REQUIRE_BROWSER === "1" || process.env.CI) throw new Error(`The proxy test is required in CI but ${message}`);
  console.warn(`Skipping the proxy test: ${message}`);
}

/** True when the nginx test must be skipped (no nginx, and not required). */
export const skipNginx = !available;

/** The suite's title, naming the cure when it is skipped. */
export const nginxSuite = (name: string) => (skipNginx ? `${name} (skipped: ${INSTALL_NGINX})` : name);

/** A self-signed certificate for 127.0.0.1, made with the openssl command line in `dir`. */
export function selfSignedCertificate(dir: string): { cert: string; key: string; pem: Buffer } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { cert, key, pem: readFileSync(cert) };
}

/** A running nginx (a child process, `daemon off`) with its own prefix, configuration, pid, logs and temp paths. */
export interface Nginx {
  dir: string;
  /** What nginx printed and logged so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx with `serverBlocks` (the site's part of a configuration) inside a main configuration
 * whose every path is under a fresh directory, and waits until each of `ports` on 127.0.0.1 accepts.
 */
export async function startNginx(dir: string, serverBlocks: string, ports: number[]): Promise<Nginx> {
  // Workers run as an unprivileged user when the test runs as root: they must reach the temp paths.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, "forum.conf"), serverBlocks);
  writeFileSync(
    join(dir, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      `pid ${join(dir, "nginx.pid")};`,
      `error_log ${join(dir, "error.log")} warn;`,
      "events { worker_connections 128; }",
      "http {",
      `  access_log ${join(dir, "access.log")};`,
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((name) => `  ${name}_temp_path ${join(dir, `${name}-temp`)};`),
      `  include ${join(dir, "forum.conf")};`,
      "}",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(NGINX_PATH, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  child.stdout?.on("data", (chunk) => (printed += chunk));
  child.stderr?.on("data", (chunk) => (printed += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const output = () => printed + (existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : "");

  const deadline = Date.now() + 15_000;
  for (const port of ports) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${output()}`);
      if (await accepts(port)) break;
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`nginx did not listen on ${port} in 15 s:\n${output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    dir,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM: nginx's fast shutdown (the master stops its workers, then itself).
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A fresh directory for one nginx, removed by `removeDir`. */
export const nginxDir = () => mkdtempSync(join(tmpdir(), "forum-nginx-"));
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** A response of `HttpsClient`. */
export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A browser-like client of one origin over https, from its own local address (nginx sees each such
 * client as a different visitor): keeps cookies, sends the page's Origin with form posts, trusts
 * only `ca`.
 */
export class HttpsClient {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie header received, as sent. */
  readonly setCookies: string[] = [];
  readonly origin: string;
  readonly localAddress: string;
  readonly ca: Buffer;
  constructor(origin: string, localAddress: string, ca: Buffer) {
    this.origin = origin;
    this.localAddress = localAddress;
    this.ca = ca;
  }

  request(
    method: string,
    path: string,
    { headers = {}, body }: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<ClientResponse> {
    const url = new URL(path, this.origin);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        url,
        {
          method,
          localAddress: this.localAddress,
          ca: this.ca,
          agent: false,
          headers: { ...(cookie ? { Cookie: cookie } : {}), ...headers },
        },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => {
            for (const header of response.headers["set-cookie"] ?? []) {
              this.setCookies.push(header);
              const [pair] = header.split(";");
              const [name, value] = pair.split("=");
              if (/max-age=0|expires=thu, 01 jan 1970/i.test(header) || !value) this.cookies.delete(name);
              else this.cookies.set(name, value);
            }
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text });
          });
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.request("GET", path, { headers });
  }

  /** Posts a form as a browser on this origin does. */
  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.request("POST", path, {
      headers: { Origin: this.origin, "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
}
