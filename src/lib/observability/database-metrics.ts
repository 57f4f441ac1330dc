import { Gauge } from "prom-client";
import type { Db } from "../../../db/client.ts";
import { DELIVERY_OUTCOMES, OUTBOX_STATES } from "../../../db/schema/outbox.ts";
import { REGISTRATION_STATES } from "../../../db/schema/registration.ts";

/**
 * Gauges read from the database at scrape time (the background process registers them): e-mail
 * outbox by state (a `bounced` state, once it exists, is counted like any other), messages waiting
 * for a retry after a failure, the age of the oldest message due, registrations by state, and
 * whether the database answered at all.
 */
export function databaseGauges(db: () => Db): void {
  const read = <T>(query: (db: Db) => T): T | undefined => {
    try {
      return query(db());
    } catch {
      return undefined;
    }
  };
  new Gauge({
    name: "forum_database_up",
    help: "1 when the database answers the scrape, else 0 (the other database gauges are then missing).",
    collect() {
      this.set(read((d) => d.$client.prepare("select 1").pluck().get()) === 1 ? 1 : 0);
    },
  });
  const byState = (name: string, help: string, labelName: string, known: readonly string[], sql: string) =>
    new Gauge({
      name,
      help,
      labelNames: [labelName],
      collect() {
        const rows = read((d) => d.$client.prepare(sql).all() as { state: string; n: number }[]);
        this.reset();
        if (!rows) return;
        for (const state of known) this.set({ [labelName]: state }, 0);
        for (const { state, n } of rows) this.set({ [labelName]: state }, n);
      },
    });
  byState(
    "forum_outbox_messages",
    "E-mail outbox messages by state (pending, sending, sent, failed, cancelled, ...).",
    "state",
    OUTBOX_STATES,
    "select state, count(*) as n from outbox group by state",
  );
  byState(
    "forum_outbox_delivery_reports",
    "Sent messages by the provider's last report (delivered, delayed, bounced, complained), from its webhook.",
    "delivery",
    DELIVERY_OUTCOMES,
    "select delivery as state, count(*) as n from outbox where delivery is not null group by delivery",
  );
  byState(
    "forum_registrations",
    "Registrations by state.",
    "state",
    REGISTRATION_STATES,
    "select status as state, count(*) as n from registrations group by status",
  );
  new Gauge({
    name: "forum_outbox_retrying_messages",
    help: "Messages waiting for another attempt after a failed one (provider down, timeouts).",
    collect() {
      const n = read(
        (d) => d.$client.prepare("select count(*) as n from outbox where state = 'pending' and attempts > 0").pluck().get() as number,
      );
      this.reset();
      if (n !== undefined) this.set(n);
    },
  });
  new Gauge({
    name: "forum_outbox_oldest_due_seconds",
    help: "How long the oldest message due has been waiting to be sent (0 when none is due): delivery lag.",
    collect() {
      const now = Date.now();
      const due = read(
        (d) =>
          d.$client
            .prepare("select min(next_attempt_at) from outbox where state in ('pending', 'sending') and next_attempt_at <= ?")
            .pluck()
            .get(now) as number | null,
      );
      this.reset();
      if (due !== undefined) this.set(due === null ? 0 : Math.max(0, (now - due) / 1000));
    },
  });
}
