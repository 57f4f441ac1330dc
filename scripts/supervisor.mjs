// The server's primary process (node:cluster), started by scripts/serve.mjs. It runs no site code
// itself: it starts the background process (scripts/background.mjs), which first does the setup
// (content check, migrations, demo seed), waits for it to be ready, then starts WEB_CONCURRENCY HTTP
// workers (default 1) that share the port, and lets the background process begin its work (mail
// worker, housekeeping). It replaces a worker that dies, relays the HTTP workers' nudges to the mail
// worker, and gathers every process's metrics for /metrics.
//
// Signals:
//   SIGHUP           reload: a new background process does the setup (new migrations), then each HTTP
//                    worker is replaced by a new one, which listens before the old one stops taking
//                    connections and finishes its requests; then the old background process leaves
//                    (its message in flight recorded) and the new one takes over. A failing setup or a
//                    new worker that does not start abandons the reload; the running processes keep on.
//   SIGTERM, SIGINT  stop: the HTTP workers finish their requests, the mail worker its message in
//                    flight, then the server exits 0. A second signal stops at once.
import cluster from "node:cluster";
import { AggregatorRegistry, Registry } from "prom-client";
import { createLogger, installLogger } from "../src/lib/observability/log.ts";
import { supervisorMetrics } from "../src/lib/observability/metrics.ts";
import { trustPolicyFromEnv } from "../src/web/edge.ts";
import { demoMailboxPage, mailboxPageNotice } from "../src/web/mailbox-page.ts";

// The exit codes of the background process's setup (scripts/background.mjs).
const SETUP_EXIT = { content: 2, migration: 3 };
/** How long a new worker may take to listen. */
const START_TIMEOUT_MS = 60_000;
/** A worker that dies sooner than this after its start counts as failing to start (backed off). */
const STABLE_MS = 10_000;
/** How long a scrape waits for each process's metrics. */
const COLLECT_TIMEOUT_MS = 3_000;

const logger = createLogger("primary");
installLogger(logger);

let trust;
try {
  trust = trustPolicyFromEnv();
} catch (error) {
  // Whom to believe about clients is a security setting: a typo must not quietly mean "nobody" or "everybody".
  logger.fatal(error.message);
  process.exit(1);
}
// `npm start` (--demo): the local mailbox page, on this machine only; every worker inherits it.
if (process.argv.includes("--demo")) demoMailboxPage();

// V8's young generation: Node 24 sizes its semi-spaces for throughput on a large machine, which
// left an idle HTTP worker at about 270 MB of RSS with 45 MB of heap in use. NODE_SEMI_SPACE_MB
// (default 4; measured: idle RSS 174 MB, no more CPU per uncached render) caps it for every process
// this primary starts, unless NODE_OPTIONS or the command line already set --max-semi-space-size.
cluster.setupPrimary({ execArgv: withSemiSpace(process.execArgv, process.env) });

const concurrency = parseConcurrency(process.env.WEB_CONCURRENCY);
const shutdownMs = positive(process.env.SHUTDOWN_TIMEOUT_MS, 30_000);
const port = Number(process.env.PORT ?? 4321);
const host = process.env.HOST ?? "localhost";

const own = new Registry();
const { workers: workerGauge, exits } = supervisorMetrics(own);

/** What the primary knows of each of its processes. */
const info = new WeakMap(); // worker -> { role, startedAt, ready (listening, or set up), replace, retiring }
/** @type {Set<import("node:cluster").Worker>} */
const http = new Set();
/** The background process at work. @type {import("node:cluster").Worker | undefined} */
let background;
/** A reload's new background process, set up and waiting for the old one to leave. */
let incoming;
/** Background processes still in their setup. */
const settingUp = new Set();
let phase = "starting"; // then "running", "stopping"
const failures = { http: 0, background: 0 };

cluster.on("exit", onExit);
process.on("SIGHUP", () => void reload());
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));

await start();

async function start() {
  const setup = await startBackground();
  if (phase !== "starting") return;
  if (!setup.worker) {
    logger.fatal(`Not started: ${setupFailure(setup.code)}.`);
    process.exit(1);
  }
  activate(setup.worker);
  const started = await Promise.all(Array.from({ length: concurrency }, () => startHttp()));
  if (phase !== "starting") return;
  if (started.some((worker) => !worker)) {
    logger.fatal("Not started: an HTTP worker could not start (see its lines above).");
    await stopWorkers();
    process.exit(1);
  }
  phase = "running";
  if (!background) void replaceBackground();
  logger.info(
    `Forum site listening on http://${host}:${port} (${concurrency} HTTP worker${concurrency === 1 ? "" : "s"}; ` +
      `primary pid ${process.pid}: SIGHUP reloads, SIGTERM stops)`,
  );
  logger.info(`Forwarding headers (TRUST_PROXY): ${trust.description}.`);
  const notice = mailboxPageNotice(host, port);
  if (notice) logger.info(notice);
}

/** Starts a process playing `role`. */
function fork(role, { replace = false } = {}) {
  const worker = cluster.fork({ FORUM_PROCESS: role });
  info.set(worker, { role, startedAt: Date.now(), ready: false, replace, retiring: false });
  worker.on("message", (message) => onMessage(worker, message));
  worker.on("error", (error) => logger.warn({ err: error, workerPid: worker.process.pid }, `IPC with ${role} worker failed`));
  return worker;
}

function setupFailure(code) {
  if (code === SETUP_EXIT.content) return "the edition's content is invalid";
  if (code === SETUP_EXIT.migration) return "a database migration failed, the database is as it was";
  return `the background process exited during its setup (${code})`;
}

/**
 * Starts a background process; resolves once its setup is done ({ worker }), or to the setup's
 * exit code ({ code }, -1 for a signal) if it exits first. It waits for activate() to begin its work.
 */
function startBackground({ replace = false } = {}) {
  const worker = fork("background", { replace });
  settingUp.add(worker);
  return new Promise((resolve) => {
    const onReady = (message) => {
      if (message?.type !== "forum:ready") return;
      info.get(worker).ready = true;
      settingUp.delete(worker);
      worker.off("message", onReady);
      resolve({ worker });
    };
    worker.on("message", onReady);
    worker.once("exit", (code, signal) => {
      settingUp.delete(worker);
      resolve({ code: signal ? -1 : (code ?? -1) });
    });
  });
}

/** Makes `worker` the background process at work. */
function activate(worker) {
  background = worker;
  countWorkers();
  send(worker, { type: "forum:start" });
}

/** Starts an HTTP worker; resolves to it once it listens, or to undefined if it exits or hangs first. */
function startHttp({ replace = false } = {}) {
  const worker = fork("http", { replace });
  http.add(worker);
  countWorkers();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.error(
        { workerPid: worker.process.pid },
        `HTTP worker ${worker.process.pid} did not listen within ${START_TIMEOUT_MS} ms; killed`,
      );
      worker.process.kill("SIGKILL");
      resolve(undefined);
    }, START_TIMEOUT_MS);
    worker.once("listening", () => {
      clearTimeout(timer);
      info.get(worker).ready = true;
      if (replace) logger.info(`HTTP worker ${worker.process.pid} listening, in place of the one that exited.`);
      resolve(worker);
    });
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}

/** Asks `worker` to finish (`restart`: idle keep-alive connections end at their timeout; `stop`: at once) and waits for its exit. */
function retire(worker, mode) {
  if (!worker || worker.isDead()) return Promise.resolve();
  const state = info.get(worker);
  state.retiring = true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      logger.warn(
        { workerPid: worker.process.pid },
        `${state.role} worker ${worker.process.pid} still running after ${shutdownMs + 5_000} ms; killed`,
      );
      worker.process.kill("SIGKILL");
    }, shutdownMs + 5_000);
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      worker.send({ type: "forum:drain", mode });
    } catch {
      worker.process.kill("SIGTERM");
    }
  });
}

function onExit(worker, code, signal) {
  const state = info.get(worker);
  if (!state) return;
  http.delete(worker);
  if (background === worker) background = undefined;
  countWorkers();
  const { role } = state;
  if (state.retiring || phase !== "running") return;
  // A worker started for a reload that never got ready is the reload's to report, not to replace;
  // so is a reload's background process waiting to take over.
  if (!state.ready && !state.replace) return;
  if (worker === incoming) return;
  exits.inc({ role });
  failures[role] = Date.now() - state.startedAt < STABLE_MS ? failures[role] + 1 : 0;
  const delay = failures[role] ? Math.min(30_000, 500 * 2 ** (failures[role] - 1)) : 0;
  logger.error(
    { workerRole: role, workerPid: worker.process.pid, code, signal },
    `${role} worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another${delay ? ` in ${delay} ms` : ""}`,
  );
  setTimeout(() => {
    if (phase !== "running") return;
    if (role === "http") void startHttp({ replace: true });
    else if (!background) void replaceBackground();
  }, delay).unref();
}

async function replaceBackground() {
  const { worker } = await startBackground({ replace: true });
  if (worker && phase === "running" && !background) {
    activate(worker);
    logger.info(`Background process ${worker.process.pid} at work, in place of the one that exited.`);
  } else if (worker) void retire(worker, "stop");
}

let reloading = false;
let reloadAgain = false;

async function reload() {
  if (phase !== "running") {
    logger.warn(`SIGHUP ignored while ${phase}.`);
    return;
  }
  if (reloading) {
    reloadAgain = true;
    return;
  }
  reloading = true;
  try {
    do {
      reloadAgain = false;
      await reloadOnce();
    } while (reloadAgain && phase === "running");
  } finally {
    reloading = false;
  }
}

async function reloadOnce() {
  logger.info("Reload: a new background process does the setup (migrations), then each worker is replaced.");
  const setup = await startBackground();
  if (!setup.worker) {
    logger.error(`Reload abandoned: ${setupFailure(setup.code)}; the running workers keep serving.`);
    return;
  }
  incoming = setup.worker;
  try {
    for (const old of [...http]) {
      if (phase !== "running") return;
      if (old.isDead() || info.get(old).retiring) continue;
      const fresh = await startHttp();
      if (!fresh) {
        logger.error("Reload abandoned: a new HTTP worker did not start; the running workers keep serving.");
        return;
      }
      await retire(old, "restart");
    }
    if (phase !== "running") return;
    // One mail worker at a time: the old one records its message in flight, then the new one begins.
    await retire(background, "stop");
    if (phase !== "running") return;
    if (!incoming.isDead()) activate(incoming);
    else if (!background) void replaceBackground();
  } finally {
    if (incoming !== background) void retire(incoming, "stop");
    incoming = undefined;
  }
  logger.info(`Reload complete: HTTP workers ${[...http].map((w) => w.process.pid).join(", ")}; background ${background?.process.pid}.`);
}

let stopped = false;

async function stop(signal) {
  if (phase === "stopping") {
    if (stopped) return;
    stopped = true;
    logger.warn(`${signal} again: stopping at once.`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
    process.exit(1);
  }
  phase = "stopping";
  logger.info(`Stopping (${signal}): HTTP workers finish their requests, the mail worker its message in flight.`);
  await stopWorkers();
  logger.info("Stopped.");
  process.exit(0);
}

async function stopWorkers() {
  await Promise.all([...http].map((worker) => retire(worker, "stop")));
  // A background process still in its setup finishes its migration first (drain waits for it).
  await Promise.all([background, incoming, ...settingUp].map((worker) => retire(worker, "stop")));
}

function countWorkers() {
  workerGauge.set({ role: "http" }, http.size);
  workerGauge.set({ role: "background" }, background ? 1 : 0);
}

let requests = 0;
const pending = new Map(); // collect id -> { worker, resolve }

function onMessage(worker, message) {
  if (!message || typeof message !== "object") return;
  if (message.type === "forum:nudge") {
    send(background, message);
  } else if (message.type === "forum:metrics") {
    gather().then(
      (text) => send(worker, { type: "forum:metrics", id: message.id, text }),
      (error) => send(worker, { type: "forum:metrics", id: message.id, error: error?.message ?? String(error) }),
    );
  } else if (message.type === "forum:collected") {
    const waiting = pending.get(message.id);
    if (waiting?.worker === worker) waiting.resolve(message.metrics);
  }
}

function send(worker, message) {
  if (!worker?.isConnected()) return;
  try {
    worker.send(message);
  } catch (error) {
    logger.warn({ err: error }, "A message to a worker was lost");
  }
}

/** Every process's metrics, added up (counters and histograms summed over HTTP workers), with the primary's own. */
async function gather() {
  const targets = [...http].filter((w) => info.get(w).ready && w.isConnected());
  if (background?.isConnected()) targets.push(background);
  const snapshots = await Promise.all(targets.map(collect));
  countWorkers();
  snapshots.push(await own.getMetricsAsJSON());
  return AggregatorRegistry.aggregate(snapshots.filter(Boolean)).metrics();
}

/** One process's metrics as JSON, or null if it does not answer in time (it may be stopping). */
function collect(worker) {
  const id = ++requests;
  return new Promise((resolve) => {
    const done = (metrics) => {
      clearTimeout(timer);
      pending.delete(id);
      resolve(metrics);
    };
    const timer = setTimeout(() => done(null), COLLECT_TIMEOUT_MS);
    pending.set(id, { worker, resolve: done });
    send(worker, { type: "forum:collect", id });
  });
}

function parseConcurrency(value) {
  if (value === undefined || value.trim() === "") return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    logger.fatal(`WEB_CONCURRENCY must be a whole number from 1 to 64, not ${JSON.stringify(value)}.`);
    process.exit(1);
  }
  return n;
}

function positive(value, fallback) {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** `execArgv` with --max-semi-space-size=NODE_SEMI_SPACE_MB (default 4) unless it or NODE_OPTIONS already has one. */
function withSemiSpace(execArgv, env) {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) => /^--max[-_]semi[-_]space[-_]size/.test(a));
  if (given) return execArgv;
  const mb = Number(env.NODE_SEMI_SPACE_MB ?? 4);
  if (!Number.isInteger(mb) || mb < 1 || mb > 256) {
    logger.warn(`NODE_SEMI_SPACE_MB must be a whole number of megabytes from 1 to 256, not "${env.NODE_SEMI_SPACE_MB}"; using 4.`);
    return [...execArgv, "--max-semi-space-size=4"];
  }
  return [...execArgv, `--max-semi-space-size=${mb}`];
}
