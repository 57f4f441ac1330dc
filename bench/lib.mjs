// What every benchmark needs: child server processes that are always stopped, a free port, and
// percentiles. Benchmarks print figures; they are not tests.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net, { createServer } from "node:net";

/** Server processes started by `startProcess`, stopped by `stopAll`. */
const children = [];

/** Pins this process (the load generator) to BENCH_CLIENT_CPU when set. */
export function pinClient() {
  const cpu = process.env.BENCH_CLIENT_CPU;
  if (cpu) spawnSync("taskset", ["-cp", cpu, String(process.pid)], { stdio: "ignore" });
}

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
  // BENCH_SERVER_CPU=0 pins every server to that core (taskset), so that the load generator's core is not shared.
  const cpu = process.env.BENCH_SERVER_CPU;
  const [command, argv] = cpu ? ["taskset", ["-c", cpu, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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

/**
 * A lean HTTP/1.1 load generator over raw keep-alive sockets (a Node http.Agent costs more CPU per
 * request than a fast server, and would measure itself). `pick()` gives the next request of a
 * connection: `{ kind, bytes }` with the whole request as bytes. Runs `connections` loops for
 * `seconds`; returns per kind the latencies (ms, of 2xx/3xx answers) and the count of other statuses.
 */
export function rawLoad({ port, pick, connections, seconds }) {
  const kinds = new Map();
  const kindOf = (name) => {
    let k = kinds.get(name);
    if (!k) kinds.set(name, (k = { latencies: [], errors: 0, statuses: new Map() }));
    return k;
  };
  const started = performance.now();
  const end = started + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      let socket;
      let buffer = Buffer.alloc(0);
      let current;
      let sentAt = 0;
      const connect = () => {
        socket = net.connect(port, "127.0.0.1");
        socket.setNoDelay(true);
        socket.on("connect", send);
        socket.on("data", onData);
        socket.on("error", () => {});
        socket.on("close", () => {
          if (current) kindOf(current.kind).errors++;
          current = undefined;
          buffer = Buffer.alloc(0);
          if (performance.now() < end) connect();
          else resolve();
        });
      };
      const send = () => {
        if (performance.now() >= end) {
          socket.end();
          return;
        }
        current = pick();
        sentAt = performance.now();
        socket.write(current.bytes);
      };
      const onData = (chunk) => {
        buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
        for (;;) {
          const done = responseLength(buffer, current?.head);
          if (done === 0) return;
          const status = Number(buffer.toString("latin1", 9, 12));
          buffer = buffer.subarray(done);
          const k = kindOf(current.kind);
          if (status >= 200 && status < 400) k.latencies.push(performance.now() - sentAt);
          else k.statuses.set(status, (k.statuses.get(status) ?? 0) + 1);
          current = undefined;
          send();
          if (!buffer.length) return;
        }
      };
      connect();
    });
  return Promise.all(Array.from({ length: connections }, one)).then(() => ({ kinds, elapsed: (performance.now() - started) / 1000 }));
}

/** Bytes of the first complete response in `buffer`, or 0 when it is not complete yet. */
function responseLength(buffer, head) {
  const headerEnd = buffer.indexOf("\r\n\r\n");
  if (headerEnd < 0) return 0;
  const headers = buffer.toString("latin1", 0, headerEnd).toLowerCase();
  const start = headerEnd + 4;
  const status = Number(headers.slice(9, 12));
  if (head || status === 304 || status === 204) return start;
  const length = /\r\ncontent-length:\s*(\d+)/.exec(headers);
  if (length) return buffer.length >= start + Number(length[1]) ? start + Number(length[1]) : 0;
  if (!/\r\ntransfer-encoding:\s*chunked/.test(headers)) return start;
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", at);
    if (lineEnd < 0) return 0;
    const size = parseInt(buffer.toString("latin1", at, lineEnd), 16);
    if (size === 0) return buffer.length >= lineEnd + 4 ? lineEnd + 4 : 0;
    at = lineEnd + 2 + size + 2;
    if (at > buffer.length) return 0;
  }
}

/** CPU seconds (user + system) a process has used so far (0 once it is gone). */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory of a process, in MB. */
export const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;

/**
 * The processes of a server started by `startProcess` (scripts/serve.mjs): its cluster primary (the
 * spawned process; `taskset` execs it) and the workers the primary forked, by role (FORUM_PROCESS in
 * their environment: "background"; an HTTP worker has "http" or none). Read from /proc.
 */
export function serverProcesses(primaryPid) {
  const found = { primary: primaryPid, http: [], background: [] };
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    if (Number(stat.split(") ")[1].split(" ")[1]) !== primaryPid) continue;
    let environ = "";
    try {
      environ = readFileSync(`/proc/${name}/environ`, "latin1");
    } catch {}
    (environ.split("\0").includes("FORUM_PROCESS=background") ? found.background : found.http).push(Number(name));
  }
  return found;
}

/** CPU seconds so far of every process of a server, by role, and their sum. */
export function serverCpu(processes) {
  const sum = (pids) => pids.reduce((total, pid) => total + cpuSeconds(pid), 0);
  const http = sum(processes.http);
  const background = sum(processes.background);
  const primary = cpuSeconds(processes.primary);
  return { http, background, primary, total: http + background + primary };
}
