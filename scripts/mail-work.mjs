// `npm run mail:work`: delivers the e-mail outbox from its own process (the server runs the same
// worker in its background process unless MAIL_WORKER=off). Runs until SIGTERM or SIGINT, finishing the requests in flight;
// with `--once`, delivers what is due now (at the provider's pace) and exits (for cron or tests).
import { openDatabase } from "../db/client.ts";
import { loadEdition } from "../src/lib/config/edition.ts";
import { deliverPass, startWorker, workerOptionsFromEnv } from "../src/lib/email/worker.ts";
import { createLogger, installLogger } from "../src/lib/observability/log.ts";
import { loadAppKey } from "../src/lib/security/secrets.ts";

// The same JSON log lines as the server's processes (role "mail").
installLogger(createLogger("mail"));

const once = process.argv.includes("--once");
// With --once, waits for the pace up to this long between requests, then leaves the rest to the next run.
const ONCE_MAX_WAIT_MS = 60_000;

let db;
let options;
try {
  db = openDatabase();
  const edition = loadEdition();
  options = workerOptionsFromEnv({ edition, siteUrl: process.env.SITE_URL ?? "http://localhost:4321", appKey: loadAppKey() });
} catch (error) {
  console.error(
    error?.name === "ContentError" ? `The edition's content is invalid:\n${error.message}` : `Mail worker: ${error?.message ?? error}`,
  );
  process.exit(1);
}
if (options.transport.name === "resend" && !process.env.MAIL_FROM) {
  console.warn("Mail worker: RESEND_API_KEY is set but MAIL_FROM is not; the provider will refuse the default sender.");
}
console.log(`Mail worker: delivering through ${options.transport.name}${once ? " (once)" : ""}.`);

if (once) {
  const total = { sent: 0, retried: 0, failed: 0 };
  for (;;) {
    const report = await deliverPass(db, options);
    total.sent += report.sent;
    total.retried += report.retried;
    total.failed += report.failed;
    if (report.claimed === 0 && report.pausedUntil === undefined) break;
    // The pace's next window is a moment away; a long pause (a refused account) is for the next run.
    const wait = (report.pausedUntil ?? 0) - Date.now();
    if (wait > ONCE_MAX_WAIT_MS) break;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  console.log(`Mail worker: ${total.sent} sent, ${total.retried} to retry, ${total.failed} failed.`);
  db.$client.close();
} else {
  const worker = startWorker({ ...options, db });
  const stop = async () => {
    await worker.stop();
    db.$client.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
