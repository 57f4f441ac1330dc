// Starts the built site: opens the database (applying migrations), loads the demo edition into an
// empty database, starts the e-mail outbox worker (unless MAIL_WORKER=off), then serves the Astro app
// (PORT, HOST) behind its own edge (TRUST_PROXY, methods). When the database cannot be opened the
// server still starts, and /health answers 503 until it can. `--demo` (npm start) shows the local
// mailbox page, on this machine only.
import { createServer } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openDatabase } from "../db/client.ts";
import { seedIfEmpty } from "../db/seed.ts";
import { loadEdition } from "../src/lib/config/edition.ts";
import { startWorker, workerOptionsFromEnv } from "../src/lib/email/worker.ts";
import { startHousekeeping } from "../src/lib/registration/housekeeping.ts";
import { loadAppKey } from "../src/lib/security/secrets.ts";
import { createEdge, trustPolicyFromEnv } from "../src/lib/server/edge.ts";
import { demoMailboxPage, mailboxPageNotice } from "../src/lib/server/mailbox-page.ts";
import { repairQuery } from "./repair-query.mjs";

let trust;
try {
  trust = trustPolicyFromEnv();
} catch (error) {
  // Whom to believe about clients is a security setting: a typo must not quietly mean "nobody" or "everybody".
  console.error(error.message);
  process.exit(1);
}
if (process.argv.includes("--demo")) demoMailboxPage();

try {
  const db = openDatabase();
  const seeded = seedIfEmpty(db);
  if (seeded) console.log(`Loaded the demo edition: ${seeded.sessions} sessions, ${seeded.speakers} speakers, ${seeded.rooms} rooms.`);
  db.$client.close();
} catch (error) {
  if (error?.name === "ContentError") {
    // A broken configuration is the operator's to fix; starting would only hide it.
    console.error(`The edition's content is invalid:\n${error.message}`);
    process.exit(1);
  }
  console.error(`Database unavailable (${process.env.DATABASE_PATH ?? "data/forum.db"}): ${error?.message ?? error}`);
}

// The outbox worker has its own connection, opened on its first pass and retried while it fails.
let mailDb;
let mailWorker;
if (process.env.MAIL_WORKER !== "off") {
  try {
    const siteUrl = process.env.SITE_URL ?? "http://localhost:4321";
    const options = workerOptionsFromEnv({ edition: loadEdition(), siteUrl, appKey: loadAppKey() });
    mailWorker = startWorker({ ...options, db: () => (mailDb ??= openDatabase()) });
    console.log(`Mail worker: delivering through ${options.transport.name}.`);
  } catch (error) {
    console.error(`Mail worker not started: ${error?.message ?? error}`);
  }
}

// Expiry of unconfirmed registrations and promotion from the waiting list (REGISTRATION_SWEEP_MS).
let housekeeping;
try {
  housekeeping = startHousekeeping({
    db: () => (mailDb ??= openDatabase()),
    edition: loadEdition(),
    appKey: loadAppKey(),
    intervalMs: Number(process.env.REGISTRATION_SWEEP_MS ?? 600_000),
  });
} catch (error) {
  console.error(`Registration housekeeping not started: ${error?.message ?? error}`);
}

process.env.ASTRO_TELEMETRY_DISABLED ??= "1";
// We listen ourselves so that a malformed query string (`?day=%ZZ`) reaches the app repaired
// instead of being refused by the adapter's own server with a bare 400.
process.env.ASTRO_NODE_AUTOSTART = "disabled";
// DIST_DIR serves another build (parallel builds in development); the default is ./dist.
const entry = process.env.DIST_DIR ? pathToFileURL(resolve(process.env.DIST_DIR, "server/entry.mjs")).href : "../dist/server/entry.mjs";
const { handler } = await import(entry);

const port = Number(process.env.PORT ?? 4321);
const host = process.env.HOST ?? "localhost";
const edge = createEdge(trust.policy, { siteUrl: process.env.SITE_URL });
const server = createServer((req, res) =>
  edge.handle(req, res, () => {
    req.url = repairQuery(req.url ?? "/");
    handler(req, res);
  }),
);
edge.attach(server);
server.listen(port, host, () => {
  console.log(`Forum site listening on http://${host}:${port}`);
  console.log(`Forwarding headers (TRUST_PROXY): ${trust.description}.`);
  const notice = mailboxPageNotice(host, port);
  if (notice) console.log(notice);
});

// Stop taking requests and let the mail worker record the message in flight, then leave.
const stop = () => {
  housekeeping?.stop();
  const closed = new Promise((resolve) => server.close(resolve));
  Promise.all([closed, mailWorker?.stop()]).finally(() => {
    mailDb?.$client.close();
    process.exit(0);
  });
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
