import type { Db } from "../../../db/client.ts";
import type { Edition } from "../config/edition.ts";
import { purgeExpiredSessions } from "../auth/sessions.ts";
import { purgeSignInChallenges } from "../auth/sign-in.ts";
import { nudgeWorker } from "../email/outbox.ts";
import { purgeUnusedMedia } from "../programme/photos.ts";
import { purgeRateLimits } from "../security/rate-limit.ts";
import { expirePending, promoteWaiting, purgeAfterEvent } from "./service.ts";

/**
 * Periodic chores of the registration desk, in the server process: expire unconfirmed
 * registrations past their deadline, and promote waiting ones where seats are free (after a
 * capacity was raised in the configuration, say), and delete all registration data once the
 * retention period after the event is over; also delete uploaded photos nobody uses any more.
 * Runs once at start, then every `intervalMs`.
 */
export function startHousekeeping({
  db,
  edition,
  appKey,
  intervalMs = 10 * 60_000,
  log = console,
}: {
  db: () => Db;
  edition: Edition;
  appKey: Buffer;
  intervalMs?: number;
  log?: Pick<Console, "log" | "error">;
}): { stop(): void } {
  const run = () => {
    try {
      const deps = { db: db(), edition, appKey };
      const expired = expirePending(deps);
      const promoted = promoteWaiting(deps).length;
      const purged = purgeAfterEvent(deps);
      // Expired sessions, sign-in challenges and rate-limit windows are of no use to anyone.
      purgeExpiredSessions(deps.db);
      purgeSignInChallenges(deps.db);
      purgeRateLimits(deps.db);
      const photos = purgeUnusedMedia(deps.db);
      if (photos) log.log(`Photos: ${photos} no longer used, deleted.`);
      if (expired || promoted) log.log(`Registrations: ${expired} expired, ${promoted} promoted from the waiting list.`);
      if (purged) log.log(`Registrations: ${purged} deleted, the retention period after the event being over.`);
      if (promoted) nudgeWorker();
    } catch (error) {
      log.error(`Registration housekeeping failed: ${(error as Error)?.message ?? error}`);
    }
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
