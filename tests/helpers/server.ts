import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequestRaw } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running instance of the built site on a free port, with its own fresh database. */
export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  databasePath: string;
  /** What the server printed so far. */
  output(): string;
  /** The process's exit code, null while it runs. */
  exitCode(): number | null;
  /** The pid of the server's primary process. */
  pid: number;
  /** Sends `signal` to the primary (SIGHUP reloads the workers). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once the server printed a line matching `pattern` (after `from` characters of output). */
  waitForOutput(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `scripts/serve.mjs` (the built server, migrations and demo seed) and waits until /health
 * answers 200 (or, with `healthy: false`, answers at all).
 */
export async function startServer(env: Record<string, string> = {}, { healthy = true } = {}): Promise<TestServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "forum-test-"));
  const databasePath = env.DATABASE_PATH ?? join(dataDir, "forum.db");
  const child: ChildProcess = spawn(process.execPath, ["scripts/serve.mjs"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_PATH: databasePath,
      MAILBOX_DIR: join(dataDir, "mailbox"),
      SITE_URL: `http://127.0.0.1:${port}`,
      ASTRO_NODE_LOGGING: "disabled",
      NODE_ENV: "production",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok || !healthy) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not ${healthy ? "become healthy" : "answer"} in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    dataDir,
    databasePath,
    output: () => output,
    exitCode: () => child.exitCode,
    pid: child.pid!,
    signal: (signal) => void child.kill(signal),
    async waitForOutput(pattern, { from = 0, timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = output
          .slice(from)
          .split("\n")
          .find((l) => pattern.test(l));
        if (line) return line;
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(
            `the server never printed ${pattern} (${child.exitCode === null ? "timed out" : `exited ${child.exitCode}`}):\n${output}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A response as `httpRequest` gives it: status, headers (names in lower case), body. */
export interface RawResponse {
  status: number;
  headers: import("node:http").IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with exactly the headers given (fetch replaces Host and refuses some names),
 * optionally from a chosen local address (`127.0.0.2`: another client on this machine).
 */
export function httpRequest(
  url: string,
  {
    method = "GET",
    headers = {},
    body,
    localAddress,
  }: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequestRaw(url, { method, headers, localAddress, agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}
