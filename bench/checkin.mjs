// `npm run bench:checkin`: four check-in desks scanning the same 250 tickets at once through the
// real endpoint (`POST /admin/checkin/desk.json`, one scan per request, as a desk sends them
// online), each desk in its own order, next to a bare node:http + better-sqlite3 server that does
// the same check-in (hash the code, one guarded UPDATE in an immediate transaction) measured in the
// same run. Prints p50/p95/p99 and checks that every ticket was admitted exactly once. It builds
// nothing: run `npm run build` first. Not a test: the machine may be shared; say so with the numbers.
//
//   --desks 4  concurrent desks     --tickets 250  tickets (each desk scans all of them)
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { freePort, percentile, startProcess, stopAll, stopProcess } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    desks: { type: "string", default: "4" },
    tickets: { type: "string", default: "250" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log("Usage: node bench/checkin.mjs [--desks 4] [--tickets 250]");
  process.exit(0);
}
const DESKS = Number(args.desks);
const TICKETS = Number(args.tickets);
if (!Number.isInteger(DESKS) || DESKS < 1 || !Number.isInteger(TICKETS) || TICKETS < 1) {
  console.error("--desks and --tickets must be positive integers.");
  process.exit(1);
}
if (!existsSync("dist/server/entry.mjs")) {
  console.error("No build found (dist/server/entry.mjs). Build first: npm run build");
  process.exit(1);
}

const { openDatabase } = await import("../db/client.ts");
const { loadAppKey, deriveSecret } = await import("../src/lib/security/secrets.ts");
const { addUser } = await import("../src/lib/auth/users.ts");
const { createSession } = await import("../src/lib/auth/sessions.ts");

const dataDir = mkdtempSync(join(tmpdir(), "forum-bench-checkin-"));
const agents = [];
async function cleanUp() {
  for (const agent of agents) agent.destroy();
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => cleanUp().then(() => process.exit(130)));

const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const shuffled = (list) => {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
};

/** One JSON POST; resolves with the status and parsed body. */
function postJson(agent, port, path, body, headers) {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        agent,
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers },
      },
      (response) => {
        const chunks = [];
        response.on("data", (c) => chunks.push(c));
        response.on("end", () => {
          let parsed;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status: response.statusCode, body: parsed });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(text);
  });
}

/** Every desk scans every code, in its own order, one request at a time; latencies and outcomes. */
async function run(port, codes, sendScan) {
  const latencies = [];
  const outcomes = new Map();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DESKS }, async (_, desk) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      for (const code of shuffled(codes)) {
        const start = performance.now();
        const outcome = await sendScan(agent, desk, code).catch((e) => `error ${e.code ?? e.message}`);
        latencies.push(performance.now() - start);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      agent.destroy();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { latencies, outcomes, elapsed };
}

try {
  const sitePort = await freePort();
  const site = `http://127.0.0.1:${sitePort}`;
  const siteDbPath = join(dataDir, "forum.db");
  const siteServer = await startProcess(
    ["scripts/serve.mjs"],
    {
      PORT: String(sitePort),
      HOST: "127.0.0.1",
      SITE_URL: site,
      DATABASE_PATH: siteDbPath,
      MAILBOX_DIR: join(dataDir, "mailbox"),
      NODE_ENV: "production",
      MAIL_WORKER: "off",
      ASTRO_NODE_LOGGING: "disabled",
      ASTRO_TELEMETRY_DISABLED: "1",
    },
    `${site}/health`,
  );

  // Staff accounts with their second factor given, and TICKETS confirmed registrations, written
  // straight into the site's database (the forms are not what is measured here).
  const db = openDatabase(siteDbPath);
  const appKey = loadAppKey(siteDbPath);
  const cookies = [];
  for (let i = 0; i < DESKS; i++) {
    const user = addUser(db, { email: `bench-desk-${i}@example.org`, roles: ["checkin"] });
    db.$client.prepare("update users set totp_enabled_at = ? where id = ?").run(Date.now(), user.id);
    cookies.push(`forum_session=${createSession(db, user.id, { twoFactorVerified: true }).token}`);
  }
  const codes = [];
  const insert = db.$client.prepare(
    `insert into registrations (email, category, status, language, name, organisation, country, privacy_consent_at, seat_held, ticket_nonce, ticket_hash)
     values (?, 'industry', 'confirmed', 'en', ?, 'Bench Org', 'FR', ?, 1, ?, ?)`,
  );
  db.$client.transaction(() => {
    for (let i = 0; i < TICKETS; i++) {
      const nonce = randomBytes(16).toString("base64url");
      const secret = deriveSecret(appKey, "ticket", nonce);
      codes.push(secret);
      insert.run(`bench-${i}@example.org`, `Bench Attendee ${i}`, Date.now(), nonce, sha256(secret));
    }
  })();
  db.$client.close();

  // The bare server: the same tickets, the same guarded update, nothing else.
  const barePort = await freePort();
  const bareDbPath = join(dataDir, "bare.db");
  const bare = new Database(bareDbPath);
  bare.pragma("journal_mode = WAL");
  bare.exec("create table registrations (id integer primary key, ticket_hash text not null unique, checked_in_at integer)");
  const bareInsert = bare.prepare("insert into registrations (ticket_hash) values (?)");
  bare.transaction(() => codes.forEach((c) => bareInsert.run(sha256(c))))();
  bare.close();
  const bareSource = `
    import http from "node:http";
    import { createHash } from "node:crypto";
    import Database from "better-sqlite3";
    const db = new Database(${JSON.stringify(bareDbPath)});
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("synchronous = NORMAL");
    const update = db.prepare("update registrations set checked_in_at = ? where ticket_hash = ? and checked_in_at is null");
    const checkIn = db.transaction((hash) => update.run(Date.now(), hash).changes === 1 ? "admitted" : "already");
    http.createServer((req, res) => {
      if (req.method === "GET" && req.url === "/health") { res.writeHead(200).end("ok"); return; }
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const { code } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const outcome = checkIn.immediate(createHash("sha256").update(code).digest("hex"));
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ outcome }));
      });
    }).listen(${barePort}, "127.0.0.1");`;
  const bareServer = await startProcess(["--input-type=module", "-e", bareSource], {}, `http://127.0.0.1:${barePort}/health`);

  console.log(
    `\n${DESKS} desks each scan the same ${TICKETS} tickets in their own order, one request at a time, all desks at once ` +
      `(${DESKS * TICKETS} scans; ${TICKETS} admissions expected); loopback, ${cpus().length} CPU(s), Node ${process.versions.node}; ` +
      `client and servers share the machine (and the machine may be shared with other work).\n`,
  );

  let counter = 0;
  const siteRun = await run(sitePort, codes, async (agent, desk, code) => {
    const nonce = `bench-${process.pid}-${++counter}-${randomBytes(6).toString("hex")}`;
    const { status, body } = await postJson(
      agent,
      sitePort,
      "/admin/checkin/desk.json",
      { scans: [{ nonce, code, at: Date.now(), desk: String(desk + 1) }] },
      { Cookie: cookies[desk], Origin: site },
    );
    return status === 200 ? body.answers[0].outcome : `HTTP ${status}`;
  });
  await stopProcess(siteServer);
  const check = new Database(siteDbPath, { readonly: true });
  const admittedRows = check.prepare("select count(*) as n from checkin_scans where outcome = 'admitted'").get().n;
  const duplicates = check
    .prepare(
      "select count(*) as n from (select registration_id from checkin_scans where outcome = 'admitted' group by registration_id having count(*) > 1)",
    )
    .get().n;
  const checkedIn = check.prepare("select count(*) as n from registrations where checked_in_at is not null").get().n;
  const audits = check.prepare("select count(*) as n from audit_log where action = 'registration.checkin'").get().n;
  check.close();

  const bareRun = await run(barePort, codes, async (agent, _desk, code) => {
    const { status, body } = await postJson(agent, barePort, "/", { code }, {});
    return status === 200 ? body.outcome : `HTTP ${status}`;
  });
  await stopProcess(bareServer);
  const bareCheck = new Database(bareDbPath, { readonly: true });
  const bareIn = bareCheck.prepare("select count(*) as n from registrations where checked_in_at is not null").get().n;
  bareCheck.close();

  const row = (name, r) => [
    name,
    String(r.latencies.length),
    (r.latencies.length / r.elapsed).toFixed(0),
    percentile(r.latencies, 50).toFixed(1),
    percentile(r.latencies, 95).toFixed(1),
    percentile(r.latencies, 99).toFixed(1),
    (r.latencies.at(-1) ?? NaN).toFixed(1),
    [...r.outcomes].map(([k, v]) => `${k} ${v}`).join(", "),
  ];
  const table = [
    ["scenario", "scans", "scans/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "answers"],
    row("site (desk.json)", siteRun),
    row("bare node:http + better-sqlite3", bareRun),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const r of table) console.log(r.map((cell, i) => cell.padEnd(widths[i])).join("  "));
  console.log("");
  const ok = (cond) => (cond ? "OK" : "MISMATCH");
  console.log(
    `site: ${checkedIn} registrations checked in, ${admittedRows} admission rows, ${audits} audit entries for ${TICKETS} tickets: ${ok(checkedIn === TICKETS && admittedRows === TICKETS && audits === TICKETS)}`,
  );
  console.log(
    `site: ${duplicates} duplicate check-ins: ${ok(duplicates === 0)}; answers "admitted" ${siteRun.outcomes.get("admitted") ?? 0}: ${ok(siteRun.outcomes.get("admitted") === TICKETS)}`,
  );
  console.log(
    `baseline: ${bareIn} checked in, answers "admitted" ${bareRun.outcomes.get("admitted") ?? 0}: ${ok(bareIn === TICKETS && bareRun.outcomes.get("admitted") === TICKETS)}`,
  );
} finally {
  await cleanUp();
}
