// What every benchmark needs: child server processes that are always stopped, a free port, and
// percentiles. Benchmarks print figures; they are not tests.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

/** Server processes started by `startProcess`, stopped by `stopAll`. */
const children = [];

/** Stops a process (SIGTERM, then SIGKILL after 5 s); resolves once it has exited. */
export function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.stopping = true;
    child.once("exit", resolve);
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
  });
}

/** Stops every process started here; safe to call twice. */
export function stopAll() {
  return Promise.all(children.map(stopProcess));
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a Node process and waits until `ready` (a URL) answers 200. `child.output()` is what it
 * printed; `child.crashed` says how it ended if it died without being stopped.
 */
export async function startProcess(args, env, ready) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  child.output = () => output;
  child.once("exit", (code, signal) => {
    if (!child.stopping) child.crashed = signal ?? `exit code ${code}`;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(" ")} exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(ready).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    if (Date.now() > deadline) throw new Error(`${args.join(" ")} did not answer ${ready} in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The p-th percentile of sorted numbers (NaN when there are none). */
export const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
