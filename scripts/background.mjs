// The server's background process (one per server, started by scripts/supervisor.mjs). First the
// setup: checks the edition's content, applies pending database migrations, loads the demo edition
// into an empty database, and tells the primary it is ready (or exits: 2 the content is invalid,
// 3 a migration failed and the database is as it was; a database that cannot be opened is no
// reason to stop: /health answers 503 until it can). The primary starts the HTTP workers only
// then. Once the primary says so (at once on a start; on a reload, after the old background
// process has left), it delivers the e-mail outbox (unless MAIL_WORKER=off) and runs the
// housekeeping loop, away from the processes that answer requests, so rendering and sending mail
// never delays a page or a form. HTTP workers nudge it through the primary when they queue a
// message (the webhook worker of decision 40 wakes with it too). It also reads the database-backed gauges of /metrics when the primary gathers them.
import { setPriority } from "node:os";
import { MigrationError, openDatabase } from "../db/client.ts";
import { seedIfEmpty } from "../src/lib/demo/seed.ts";
import { loadEdition } from "../src/lib/config/edition.ts";
import { startWorker, workerOptionsFromEnv } from "../src/lib/email/worker.ts";
import { databaseGauges } from "../src/lib/observability/database-metrics.ts";
import { createLogger, installLogger } from "../src/lib/observability/log.ts";
import { mailWorkerGauge, processMetrics } from "../src/lib/observability/metrics.ts";
import { startHousekeeping } from "../src/lib/registration/housekeeping.ts";
import { loadAppKey } from "../src/lib/security/secrets.ts";
import { startWebhookWorker, webhookWorkerOptionsFromEnv } from "../src/lib/webhooks/worker.ts";

// The exit codes scripts/supervisor.mjs reads.
const SETUP_EXIT = { content: 2, migration: 3 };

const logger = createLogger("background");
installLogger(logger);

let stopping;
let mailWorker;
let webhookWorker;
let housekeeping;
let db;

/** Stops after the message in flight is recorded (a reload or a stop), then leaves. */
const stop = () =>
  (stopping ??= (async () => {
    housekeeping?.stop();
    await Promise.all([mailWorker?.stop(), webhookWorker?.stop()]);
    db?.$client.close();
    process.exit(0);
  })());

let started;
const go = new Promise((resolve) => (started = resolve));
process.on("message", (message) => {
  if (message?.type === "forum:start") started();
  else if (message?.type === "forum:nudge") {
    mailWorker?.nudge();
    webhookWorker?.nudge();
  } else if (message?.type === "forum:drain") stop();
});
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
// A reload is the primary's to run (Node's cluster ends this process if the primary goes).
process.on("SIGHUP", () => {});

setup();
processMetrics("background");
// One connection, opened on first use and retried while it fails; a migration that fails here
// (the setup reported it) leaves the database as it is.
const getDb = () =>
  (db ??= openDatabase(undefined, {
    onMigrationFailure: (error) => logger.error(`${error.message}; working on the database as it is.`),
  }));
databaseGauges(getDb);
process.send?.({ type: "forum:ready" });
await go;
lowerPriority();
if (!stopping) startWork();

/**
 * The mail worker and housekeeping run at a lower CPU priority (BACKGROUND_NICE, default 10; 0 keeps
 * the HTTP workers' priority): on a core shared with the HTTP workers, a burst of forms is answered
 * first and the mail it queued is delivered with the time left (decision 35). The setup above ran
 * at full priority, before any worker started.
 */
function lowerPriority() {
  const nice = Number(process.env.BACKGROUND_NICE ?? 10);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
    logger.warn(`BACKGROUND_NICE must be a whole number from 0 to 19, not "${process.env.BACKGROUND_NICE}"; using 10.`);
  }
  try {
    if (nice !== 0) setPriority(Number.isInteger(nice) && nice >= 0 && nice <= 19 ? nice : 10);
  } catch (error) {
    logger.warn(`Could not lower the background process's priority: ${error.message}`);
  }
}

/** Content check, migrations, demo seed; exits with SETUP_EXIT when the server must not start. */
function setup() {
  try {
    loadEdition();
    const setupDb = openDatabase();
    try {
      const seeded = seedIfEmpty(setupDb);
      if (seeded) logger.info(`Loaded the demo edition: ${seeded.sessions} sessions, ${seeded.speakers} speakers, ${seeded.rooms} rooms.`);
    } finally {
      setupDb.$client.close();
    }
  } catch (error) {
    if (error?.name === "ContentError") {
      // A broken configuration is the operator's to fix; starting would only hide it.
      logger.fatal(`The edition's content is invalid:\n${error.message}`);
      process.exit(SETUP_EXIT.content);
    }
    if (error instanceof MigrationError) {
      logger.fatal({ err: error.cause ?? error }, `${error.message} (${process.env.DATABASE_PATH ?? "data/forum.db"})`);
      process.exit(SETUP_EXIT.migration);
    }
    logger.error(`Database unavailable (${process.env.DATABASE_PATH ?? "data/forum.db"}): ${error?.message ?? error}`);
  }
}

function startWork() {
  if (process.env.MAIL_WORKER !== "off") {
    try {
      const siteUrl = process.env.SITE_URL ?? "http://localhost:4321";
      const options = workerOptionsFromEnv({ edition: loadEdition(), siteUrl, appKey: loadAppKey() });
      if (options.transport.name === "resend" && !process.env.MAIL_FROM) {
        logger.warn("RESEND_API_KEY is set but MAIL_FROM is not; the provider will refuse the default sender.");
      }
      mailWorker = startWorker({ ...options, db: getDb });
      logger.info(`Mail worker: delivering through ${options.transport.name}.`);
    } catch (error) {
      logger.error({ err: error }, `Mail worker not started: ${error?.message ?? error}`);
    }
  }
  mailWorkerGauge(mailWorker !== undefined);

  // The organizers' webhooks (decision 40), beside the mail, unless WEBHOOK_WORKER=off.
  if (process.env.WEBHOOK_WORKER !== "off") {
    try {
      webhookWorker = startWebhookWorker({ ...webhookWorkerOptionsFromEnv(loadAppKey()), db: getDb, log: (line) => logger.warn(line) });
    } catch (error) {
      logger.error({ err: error }, `Webhook worker not started: ${error?.message ?? error}`);
    }
  }

  // Expiry of unconfirmed registrations, promotion from the waiting list, purges (REGISTRATION_SWEEP_MS).
  try {
    housekeeping = startHousekeeping({
      db: getDb,
      edition: loadEdition(),
      appKey: loadAppKey(),
      intervalMs: Number(process.env.REGISTRATION_SWEEP_MS ?? 600_000),
    });
  } catch (error) {
    logger.error({ err: error }, `Registration housekeeping not started: ${error?.message ?? error}`);
  }
}
