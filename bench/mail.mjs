// `npm run bench:mail`: the outbox worker (`scripts/mail-work.mjs`, the real Resend SDK inside it)
// against a stand-in for Resend that enforces its default limit of 2 requests a second (429 with
// `retry-after` and the `ratelimit-*` headers beyond it) and takes batches of 100. Three runs:
//
//   drain     3,000 queued messages of mixed kinds (sign-in codes, address confirmations, other
//             state changes, a group message, release notices), none with attachments: how close to
//             the ideal 200 messages a second they go (2 requests of 100 a second);
//   urgent    a sign-in code queued while a 3,000-message group message goes: how long until it
//             reaches the stand-in (it must be under 2 s: it is worth nothing after 15 minutes);
//   faults    the drain again with 30 % of the stand-in's answers failing (500, 429, a connection
//             dropped before or after it accepted the batch): every message must arrive exactly once.
//
// A message with attachments (a ticket) goes alone, so it is left out of the 200-a-second ideal.
// Nothing is built; the stand-in and the database are temporary. Figures depend on the machine.
//
//   --messages 3000   messages per run        --latency 30   the stand-in's answer time, in ms
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openDatabase } from "../db/client.ts";
import { enqueue } from "../src/lib/email/outbox.ts";
import { startFakeResend } from "../tests/helpers/fake-resend.ts";
import { spawn } from "node:child_process";
import { stopProcess } from "./lib.mjs";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "3000" },
    latency: { type: "string", default: "30" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log("Usage: node bench/mail.mjs [--messages 3000] [--latency 30]");
  process.exit(0);
}
const MESSAGES = Number(args.messages);
const LATENCY = Number(args.latency);
if (!Number.isInteger(MESSAGES) || MESSAGES < 100 || !(LATENCY >= 0)) {
  console.error("--messages must be an integer of at least 100 and --latency a number of ms.");
  process.exit(1);
}
const LIMIT = 2; // requests a second, Resend's default
const BATCH = 100;
const IDEAL = LIMIT * BATCH; // messages a second

const dirs = [];
async function cleanUp() {
  await Promise.all(workers.map(stopProcess));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => cleanUp().then(() => process.exit(130)));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The kinds of the drain, none with attachments. */
const KINDS = [
  (i) => ({ template: "auth.sign_in", payload: { nonce: `n-${i}` } }),
  (i) => ({ template: "registration.confirm_address", payload: { name: "", manageNonce: `m-${i}` } }),
  (i) => ({ template: "registration.waitlisted", payload: { name: `W${i}`, manageNonce: `m-${i}`, category: "industry" } }),
  (i) => ({ template: "registration.cancelled", payload: { name: `C${i}` } }),
  (i) => ({
    template: "announcement",
    payload: { name: `A${i}`, subject: "Practical details", body: "Doors open at 8:30.\n\nSee you in Lyon." },
  }),
  (i) => ({ template: "announcement", payload: { name: `B${i}`, subject: "Badges", body: "Pick your badge up at the desk." } }),
  () => ({
    template: "programme.release",
    payload: { release: 2, sessions: [{ slug: "lab", title: "Hands-on lab", kind: "cancelled" }] },
  }),
];

/** A fresh database with `count` queued messages (`kind` picks each one's kind), and a stand-in. */
async function setUp(count, kind, plan) {
  const dir = mkdtempSync(join(tmpdir(), "forum-bench-mail-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "forum.db"));
  db.transaction((tx) => {
    for (let i = 0; i < count; i++) {
      const message = kind(i);
      enqueue(tx, { ...message, language: i % 3 ? "en" : "fr", recipient: `m${i}@example.org` });
    }
  });
  const fake = await startFakeResend({ rateLimit: { limit: LIMIT }, latencyMs: LATENCY, plan });
  return { dir, db, fake };
}

const workers = [];

/** Starts `scripts/mail-work.mjs` on `dir`'s database against `fake` (it serves no HTTP: started is ready). */
function worker(dir, fake, env = {}) {
  const child = spawn(process.execPath, ["scripts/mail-work.mjs"], {
    env: {
      ...process.env,
      DATABASE_PATH: join(dir, "forum.db"),
      APP_SECRET: "bench-secret-bench-secret-bench-secret-0123",
      SITE_URL: "https://forum.example.org",
      RESEND_API_KEY: fake.apiKey,
      RESEND_BASE_URL: fake.url,
      MAIL_FROM: "Safer World Forum <forum@example.org>",
      MAIL_POLL_MS: "50",
      ...env,
    },
    stdio: "ignore",
  });
  workers.push(child);
  return child;
}

const allSent = (db) => db.$client.prepare("select count(*) as n from outbox where state <> 'sent'").get().n === 0;

/** Every message delivered once: one delivery per recipient, and every row sent with its delivery's id. */
function exactlyOnce(db, fake, count) {
  const deliveries = fake.deliveries();
  const recipients = new Set(deliveries.map((d) => d.to));
  const rows = db.$client.prepare("select recipient, provider_message_id as id from outbox where state = 'sent'").all();
  const byRecipient = new Map(deliveries.map((d) => [d.to, d.id]));
  const matching = rows.filter((r) => byRecipient.get(r.recipient) === r.id).length;
  return {
    deliveries: deliveries.length,
    unique: recipients.size,
    rows: rows.length,
    matching,
    ok: deliveries.length === count && recipients.size === count && matching === count,
  };
}

/** Messages a second from the first request to the last delivery, counting one window for the last requests. */
function rateOf(fake) {
  const deliveries = fake.deliveries();
  const first = fake.log[0].at;
  const last = Math.max(...deliveries.map((d) => d.at));
  return deliveries.length / ((last - first + 1000) / 1000);
}

const format = (n, digits = 0) => n.toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const report = [];

try {
  const load = loadavg().map((n) => n.toFixed(1));
  console.log(`Stand-in: ${LIMIT} requests/s, batches of ${BATCH}, ${LATENCY} ms per answer. Ideal: ${IDEAL} messages/s.`);
  console.log(`Machine: ${cpus().length} cores, load average ${load.join(" ")} (1, 5, 15 min).\n`);

  // 1. Drain.
  {
    const { dir, db, fake } = await setUp(MESSAGES, (i) => KINDS[i % KINDS.length](i));
    const child = worker(dir, fake);
    await until("the drain", () => allSent(db), 600_000);
    await stopProcess(child);
    const rate = rateOf(fake);
    const once = exactlyOnce(db, fake, MESSAGES);
    const limited = fake.log.filter((e) => e.behaviour === "rate-limited").length;
    const trips = JSON.parse(db.$client.prepare("select round_trips as t from mail_pace").get().t).sort((a, b) => a - b);
    console.log(
      `drain   ${format(MESSAGES)} messages in ${fake.requests} requests: ${format(rate, 1)} messages/s, ratio to the ideal ${format(rate / IDEAL, 3)}; 429s drawn: ${limited}; exactly once: ${once.ok}`,
    );
    // The pace counts a request slower than the shortest round trip as that much later: a loaded
    // machine, whose round trips vary, is paced more carefully.
    console.log(
      `        round trips ${format(trips[0])} to ${format(trips.at(-1))} ms (median ${format(trips[Math.floor(trips.length / 2)])})`,
    );
    report.push({ run: "drain", ratio: rate / IDEAL, ok: rate / IDEAL >= 0.95 && once.ok && limited === 0 });
    db.$client.close();
    await fake.close();
  }

  // 2. A sign-in code behind a group message.
  {
    const { dir, db, fake } = await setUp(MESSAGES, (i) => KINDS[4](i));
    const child = worker(dir, fake);
    await fake.delivered(Math.floor(MESSAGES / 6));
    const queuedAt = Date.now();
    enqueue(db, { template: "auth.sign_in", language: "en", recipient: "urgent@example.org", payload: { nonce: "urgent" } });
    await until("the sign-in code", () => fake.deliveries().some((d) => d.to === "urgent@example.org"), 60_000);
    const waited = fake.deliveries().find((d) => d.to === "urgent@example.org").at - queuedAt;
    const behind = MESSAGES - fake.deliveries().length;
    console.log(
      `urgent  a sign-in code queued behind a ${format(MESSAGES)}-message group message reached the stand-in in ${format(waited)} ms (${format(behind)} of the group still waiting)`,
    );
    report.push({ run: "urgent", ms: waited, ok: waited < 2_000 });
    await stopProcess(child);
    db.$client.close();
    await fake.close();
  }

  // 3. Faults: 30 % of the answers fail.
  {
    let n = 0;
    const plan = () => {
      const r = (n++ * 7919) % 100;
      if (r < 10) return "500";
      if (r < 16) return "429";
      if (r < 23) return "drop";
      if (r < 30) return "accept-then-drop";
      return "ok";
    };
    const { dir, db, fake } = await setUp(MESSAGES, (i) => KINDS[i % KINDS.length](i), plan);
    const child = worker(dir, fake, { MAIL_RETRY_BASE_MS: "200", MAIL_RETRY_MAX_MS: "2000" });
    await until("the drain under faults", () => allSent(db), 600_000);
    await stopProcess(child);
    const once = exactlyOnce(db, fake, MESSAGES);
    const seen = Object.groupBy(fake.log, (e) => e.behaviour);
    const counts = Object.entries(seen)
      .map(([b, list]) => `${b} ${list.length}`)
      .join(", ");
    const rate = rateOf(fake);
    console.log(
      `faults  ${format(MESSAGES)} messages in ${fake.requests} requests (${counts}): ${format(rate, 1)} messages/s; delivered ${once.deliveries}, to ${once.unique} recipients, ${once.matching} rows matching: exactly once: ${once.ok}`,
    );
    report.push({ run: "faults", ok: once.ok });
    db.$client.close();
    await fake.close();
  }

  const failed = report.filter((r) => !r.ok).map((r) => r.run);
  console.log(failed.length ? `\nBelow target: ${failed.join(", ")}` : "\nEvery run met its target.");
  process.exitCode = failed.length ? 1 : 0;
} finally {
  await cleanUp();
}
