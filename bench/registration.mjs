// `npm run bench:registration`: registrations per second and latency of the real registration form
// under many concurrent submitters, next to a bare node:http + better-sqlite3 server that parses the
// same form and inserts a registration and an outbox row in one transaction (the floor: what Node
// and SQLite alone cost on this machine), measured in the same run. It builds nothing: run
// `npm run build` (or `npm start` / `npm test`) first.
//
// Both servers run in their own process on 127.0.0.1; this process is only the load generator
// (keep-alive connections, each POSTing a valid industry registration with a unique address, for a
// fixed duration after a warm-up). The site runs with its outbox worker delivering to the local
// mailbox in the same process, as in production, unless --no-worker (MAIL_WORKER=off).
//
//   --concurrency 32  concurrent connections      --duration 10  measured seconds per server
//   --no-worker       run the site without its mail worker
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { cpuSeconds, freePort, percentile, serverCpu, serverProcesses, startProcess, stopAll, stopProcess } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    concurrency: { type: "string", default: "32" },
    duration: { type: "string", default: "10" },
    "no-worker": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log("Usage: node bench/registration.mjs [--concurrency 32] [--duration 10] [--no-worker]");
  process.exit(0);
}
const CONNECTIONS = Number(args.concurrency);
const SECONDS = Number(args.duration);
const WORKER = !args["no-worker"];
const WARMUP_SECONDS = 2;
if (!Number.isInteger(CONNECTIONS) || CONNECTIONS < 1 || !(SECONDS > 0)) {
  console.error("--concurrency must be a positive integer and --duration a positive number of seconds.");
  process.exit(1);
}

if (!existsSync("dist/server/entry.mjs")) {
  console.error("No build found (dist/server/entry.mjs). Build first: npm run build");
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), "forum-bench-registration-"));
const agents = [];

/** Stops both servers and removes the temporary databases and mailbox; safe to call twice. */
async function cleanUp() {
  for (const agent of agents) agent.destroy();
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => cleanUp().then(() => process.exit(130)));

const RUN = Date.now().toString(36);
let sequence = 0;

/** A valid industry registration with an address never used before in this run. */
function registrationForm() {
  sequence++;
  return new URLSearchParams({
    category: "industry",
    name: `Bench Submitter ${sequence}`,
    email: `bench-${RUN}-${sequence}@example.org`,
    organisation: "Bench Org",
    country: "FR",
    language: "en",
    company: "Bench Company",
    role: "Engineer",
    privacyConsent: "on",
    website: "",
  }).toString();
}

/** One form POST over `agent`; resolves with the status and Location once the body is read. */
function post(agent, port, origin) {
  const body = registrationForm();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/register?_action=register",
        method: "POST",
        agent,
        headers: {
          Origin: origin,
          "Content-Type": "application/x-www-form-urlencoded",
          "Content-Length": Buffer.byteLength(body),
        },
      },
      (response) => {
        response.on("data", () => {});
        response.on("end", () => resolve({ status: response.statusCode, location: response.headers.location }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/**
 * POSTs registrations with CONNECTIONS concurrent loops for `seconds`; returns the latencies (ms) of
 * the 303s to /register/sent, the other answers by kind, and how many 303s there were.
 */
async function load(agent, port, origin, seconds) {
  const latencies = [];
  const errors = new Map();
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      let kind;
      try {
        const { status, location } = await post(agent, port, origin);
        if (status === 303 && location === "/register/sent") latencies.push(performance.now() - start);
        else kind = status === 303 ? `303 to ${location}` : `HTTP ${status}`;
      } catch (error) {
        kind = error?.code ?? error?.message ?? String(error);
      }
      if (kind) errors.set(kind, (errors.get(kind) ?? 0) + 1);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  return { latencies, errors, elapsed: (performance.now() - started) / 1000 };
}

/** One probe, a warm-up, then the measured load; `accepted` counts every 303 to /register/sent, probe and warm-up included. */
async function measure(scenario, port, cpuNow) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  agents.push(agent);
  const origin = `http://127.0.0.1:${port}`;
  const probe = await post(agent, port, origin);
  if (probe.status !== 303 || probe.location !== "/register/sent") {
    throw new Error(`${scenario}: a valid registration answered ${probe.status} ${probe.location ?? ""}, not 303 to /register/sent`);
  }
  const warmup = await load(agent, port, origin, WARMUP_SECONDS);
  const cpuBefore = cpuNow();
  const { latencies, errors, elapsed } = await load(agent, port, origin, SECONDS);
  const cpuAfter = cpuNow();
  agent.destroy();
  // CPU ms per accepted registration, by process (a shared machine disturbs it less than req/s).
  const cpuMs = Object.fromEntries(
    Object.keys(cpuAfter).map((k) => [k, ((cpuAfter[k] - cpuBefore[k]) * 1000) / Math.max(1, latencies.length)]),
  );
  const warmupErrors = [...warmup.errors.values()].reduce((a, b) => a + b, 0);
  latencies.sort((a, b) => a - b);
  return {
    scenario,
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    errors,
    errorCount: [...errors.values()].reduce((a, b) => a + b, 0),
    warmupErrors,
    accepted: 1 + warmup.latencies.length + latencies.length,
    cpuMs,
  };
}

/** Row counts of a database, read on a fresh read-only connection. */
function count(path, sql) {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** Lines that tell of a locked database, in a server's output. */
const lockTrouble = (output) => output.split("\n").filter((l) => /SQLITE_BUSY|database is locked|SQLITE_LOCKED/i.test(l));

try {
  const rows = [];
  const checks = [];
  const notes = [];

  // The site, as production runs it, with rate limits that the load cannot reach.
  const sitePort = await freePort();
  const site = `http://127.0.0.1:${sitePort}`;
  const siteDb = join(dataDir, "forum.db");
  const mailboxDir = join(dataDir, "mailbox");
  const siteServer = await startProcess(
    ["scripts/serve.mjs"],
    {
      PORT: String(sitePort),
      HOST: "127.0.0.1",
      SITE_URL: site,
      DATABASE_PATH: siteDb,
      MAILBOX_DIR: mailboxDir,
      REGISTER_LIMIT_IP: "100000000/60",
      REGISTER_LIMIT_EMAIL: "100/60",
      NODE_ENV: "production",
      ASTRO_NODE_LOGGING: "disabled",
      ASTRO_TELEMETRY_DISABLED: "1",
      ...(WORKER ? {} : { MAIL_WORKER: "off" }),
    },
    `${site}/health`,
  );

  // The bare server: same form, one transaction inserting a registration and an outbox row.
  const barePort = await freePort();
  const bareDb = join(dataDir, "bare.db");
  const bareServer = `
    import http from "node:http";
    import { randomUUID } from "node:crypto";
    import Database from "better-sqlite3";
    const db = new Database(${JSON.stringify(bareDb)});
    db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    db.pragma("synchronous = NORMAL");
    db.exec(\`
      create table registrations (id integer primary key autoincrement, email text not null unique,
        category text not null, status text not null, language text not null, name text not null,
        organisation text not null, country text not null, company text not null, role text not null,
        privacy_consent_at integer not null, created_at integer not null);
      create table outbox (id text primary key, template text not null, language text not null,
        recipient text not null, payload text not null, state text not null default 'pending',
        next_attempt_at integer not null, created_at integer not null,
        registration_id integer references registrations(id) on delete cascade);\`);
    const insertRegistration = db.prepare(\`insert into registrations (email, category, status, language, name,
      organisation, country, company, role, privacy_consent_at, created_at)
      values (@email, @category, 'pending_email', @language, @name, @organisation, @country, @company, @role, @now, @now)\`);
    const insertOutbox = db.prepare(\`insert into outbox (id, template, language, recipient, payload, next_attempt_at,
      created_at, registration_id) values (?, 'registration.confirm_address', ?, ?, ?, ?, ?, ?)\`);
    const register = db.transaction((form) => {
      const now = Date.now();
      const { lastInsertRowid } = insertRegistration.run({ ...form, now });
      insertOutbox.run(randomUUID(), form.language, form.email, JSON.stringify({ name: form.name }), now, now, lastInsertRowid);
    });
    const required = ["category", "name", "email", "organisation", "country", "language", "company", "role"];
    http.createServer((req, res) => {
      if (req.method === "GET" && req.url === "/health") { res.writeHead(200).end("ok"); return; }
      if (req.method !== "POST" || !req.url.startsWith("/register")) { res.writeHead(404).end(); return; }
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        const params = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        const form = {};
        for (const field of required) form[field] = (params.get(field) ?? "").trim();
        form.email = form.email.toLowerCase();
        if (required.some((f) => form[f] === "") || params.get("privacyConsent") !== "on" || params.get("website")) {
          res.writeHead(400).end();
          return;
        }
        try {
          register.immediate(form);
          res.writeHead(303, { Location: "/register/sent", "Content-Length": 0 }).end();
        } catch (error) {
          console.error(error.code ?? error.message);
          res.writeHead(500).end();
        }
      });
    }).listen(${barePort}, "127.0.0.1");`;
  const bare = await startProcess(["--input-type=module", "-e", bareServer], {}, `http://127.0.0.1:${barePort}/health`);

  console.log(
    `\nLoad: ${CONNECTIONS} keep-alive connections, each POSTing a new registration (industry, unique address) ` +
      `for ${SECONDS} s after ${WARMUP_SECONDS} s warm-up; loopback, ${cpus().length} CPU(s), Node ${process.versions.node}; ` +
      `client and servers share the machine.\n` +
      (WORKER
        ? "Site: mail worker ON, delivering the confirmation e-mails to the local mailbox in the same process (its cost is included).\n"
        : "Site: mail worker OFF (MAIL_WORKER=off): e-mails stay in the outbox.\n"),
  );

  // The site first, then stop it (its worker would otherwise keep delivering the backlog during the
  // baseline's run), then the baseline.
  const siteProcesses = serverProcesses(siteServer.pid);
  const siteRow = await measure("site (Astro)", sitePort, () => serverCpu(siteProcesses));
  rows.push(siteRow);
  const states = Object.fromEntries(count(siteDb, "select state, count(*) as n from outbox group by state").map((r) => [r.state, r.n]));
  await stopProcess(siteServer);
  const [{ n: siteRegistrations }] = count(siteDb, "select count(*) as n from registrations");
  checks.push(
    `site: ${siteRegistrations} registrations in the database for ${siteRow.accepted} 303 answers (warm-up included): ` +
      (siteRegistrations === siteRow.accepted ? "OK" : "MISMATCH"),
  );
  const mailboxFiles = existsSync(mailboxDir) ? readdirSync(mailboxDir, { recursive: true }).length : 0;
  notes.push(
    `site outbox at the end of the load: ${states.sent ?? 0} delivered, ${states.pending ?? 0} pending` +
      (states.sending ? `, ${states.sending} sending` : "") +
      (states.failed ? `, ${states.failed} failed` : "") +
      ` (${mailboxFiles} entries in the mailbox folder)` +
      (WORKER ? "" : "; the worker was off"),
  );

  const bareRow = await measure("bare node:http + better-sqlite3", barePort, () => ({ total: cpuSeconds(bare.pid) }));
  rows.push(bareRow);
  const [{ n: bareRegistrations }] = count(bareDb, "select count(*) as n from registrations");
  const [{ n: bareOutbox }] = count(bareDb, "select count(*) as n from outbox");
  checks.push(
    `baseline: ${bareRegistrations} registrations and ${bareOutbox} outbox rows for ${bareRow.accepted} 303 answers: ` +
      (bareRegistrations === bareRow.accepted && bareOutbox === bareRow.accepted ? "OK" : "MISMATCH"),
  );

  const header = ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "CPU ms/reg", "errors"];
  const table = rows.map((r) => [
    r.scenario,
    String(r.requests),
    r.rps.toFixed(0),
    r.p50.toFixed(1),
    r.p95.toFixed(1),
    r.p99.toFixed(1),
    r.max.toFixed(1),
    r.cpuMs.total.toFixed(2),
    String(r.errorCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));
  console.log(`\nsite / baseline = ${((siteRow.rps / bareRow.rps) * 100).toFixed(0)}% (registrations per second)`);
  const c = siteRow.cpuMs;
  console.log(
    `site CPU per registration (user + system, from /proc, measured seconds only): HTTP worker ${c.http.toFixed(2)} ms, ` +
      `background process (mail worker) ${c.background.toFixed(2)} ms, cluster primary ${c.primary.toFixed(2)} ms; ` +
      `one core at the HTTP worker's cost alone: ${(1000 / c.http).toFixed(0)} registrations/s\n`,
  );

  for (const r of rows) {
    if (r.errorCount) console.log(`${r.scenario} errors: ${[...r.errors].map(([kind, n]) => `${kind} × ${n}`).join(", ")}`);
    if (r.warmupErrors) console.log(`${r.scenario}: ${r.warmupErrors} error(s) during the warm-up`);
  }
  for (const check of checks) console.log(`Check, ${check}`);
  for (const note of notes) console.log(note);
  for (const [name, child] of [
    ["site", siteServer],
    ["baseline", bare],
  ]) {
    const trouble = lockTrouble(child.output());
    if (trouble.length) console.log(`${name} server reported a locked database ${trouble.length} time(s): ${trouble[0].trim()}`);
    if (child.crashed)
      console.log(`${name} server exited during the load (${child.crashed}); its last output:\n${child.output().slice(-3000)}`);
  }
  if (checks.some((c) => c.endsWith("MISMATCH")) || rows.some((r) => r.errorCount)) process.exitCode = 1;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
