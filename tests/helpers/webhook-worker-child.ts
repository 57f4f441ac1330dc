// A webhook worker in a process of its own, for the crash tests (src/lib/webhooks/worker.test.ts):
// it runs one pass over the due deliveries of DATABASE_PATH and, at the point CRASH_AT names
// ("claimed": the claim is committed, nothing sent; "answered": the receiver answered, nothing
// recorded), tells its parent and waits there to be killed.
import { openDatabase } from "../../db/client.ts";
import { loadAppKey } from "../../src/lib/security/secrets.ts";
import { deliverWebhooksDue } from "../../src/lib/webhooks/worker.ts";

const databasePath = process.env.DATABASE_PATH!;
const crashAt = process.env.CRASH_AT;
const db = openDatabase(databasePath);
const halt = (point: string) => {
  process.send?.({ point });
  return new Promise<void>(() => {});
};
await deliverWebhooksDue(db, {
  appKey: loadAppKey(databasePath),
  allowPrivate: true,
  leaseMs: Number(process.env.WEBHOOK_LEASE_MS ?? 60_000),
  timeoutMs: 5_000,
  concurrency: 1,
  onClaimed: crashAt === "claimed" ? () => halt("claimed") : undefined,
  onAnswered: crashAt === "answered" ? () => halt("answered") : undefined,
});
process.send?.({ point: "done" });
db.$client.close();
