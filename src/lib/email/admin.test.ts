import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, outbox } from "../../../db/schema/index.ts";
import { cancelHeldMessage, heldDigest, heldMessageIds, listOutbox, parseOutboxQuery, retryMessage, sendHeldMessages } from "./admin.ts";
import { enqueue } from "./outbox.ts";

const T0 = Date.UTC(2013, 5, 1, 9);
const staff = { id: 3, email: "organizer@example.org" };

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-outbox-admin-"));
  db = openDatabase(join(dir, "forum.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Queues a message at T0 + `minutes` and puts it in `state`. */
function message(
  recipient: string,
  minutes: number,
  state: "pending" | "sending" | "sent" | "failed" = "pending",
  template = "auth.sign_in",
) {
  const id = enqueue(
    db,
    { template: template as "auth.sign_in", language: "en", recipient, payload: { nonce: "n" } },
    T0 + minutes * 60_000,
  );
  if (state !== "pending")
    db.update(outbox)
      .set({ state, attempts: 20, lastError: state === "failed" ? "HTTP 500 from the provider" : null })
      .where(eq(outbox.id, id))
      .run();
  return id;
}

describe("the outbox list", () => {
  it("reads its query leniently", () => {
    expect(parseOutboxQuery(new URLSearchParams("state=failed&q=%20ada%20&page=2&delivery=problem"))).toEqual({
      state: "failed",
      delivery: "problem",
      q: "ada",
      page: 2,
    });
    expect(parseOutboxQuery(new URLSearchParams("state=lost&page=-1&delivery=lost"))).toEqual({ state: "", delivery: "", q: "", page: 1 });
  });

  it("shows the newest first, filters by state, searches recipient and template, counts each state, pages", () => {
    const a = message("ada@example.org", 1, "sent");
    const b = message("bob@example.org", 2, "failed");
    const c = message("carol@example.org", 3, "pending", "registration.cancelled");
    const d = message("ADA.two@example.org", 4, "failed");
    const ids = (query: Partial<Parameters<typeof listOutbox>[1]>, perPage?: number) =>
      listOutbox(db, { state: "", q: "", page: 1, ...query }, perPage).rows.map((r) => r.id);

    expect(ids({})).toEqual([d, c, b, a]);
    expect(ids({ state: "failed" })).toEqual([d, b]);
    expect(ids({ q: "ada" })).toEqual([d, a]);
    expect(ids({ q: "cancelled" })).toEqual([c]);
    expect(ids({ q: "%" })).toEqual([]);
    const list = listOutbox(db, { state: "failed", q: "", page: 1 });
    expect(list).toMatchObject({ total: 2, page: 1, pages: 1, counts: { pending: 1, sending: 0, sent: 1, failed: 2 } });
    expect(listOutbox(db, { state: "", q: "ada", page: 1 }).counts).toEqual({
      held: 0,
      pending: 0,
      sending: 0,
      sent: 1,
      failed: 1,
      cancelled: 0,
      expired: 0,
    });
    // The payload is not shown.
    expect(Object.keys(list.rows[0]!).sort()).toEqual(
      [
        "attempts",
        "createdAt",
        "delivery",
        "deliveryAt",
        "deliveryDetail",
        "held",
        "id",
        "language",
        "lastError",
        "nextAttemptAt",
        "recipient",
        "sentAt",
        "state",
        "template",
      ].sort(),
    );
    expect(ids({ page: 2 }, 3)).toEqual([a]);
    expect(listOutbox(db, { state: "", q: "", page: 9 }, 3)).toMatchObject({ page: 2, pages: 2 });
  });

  it("filters and counts by what the provider reported after sending: bounces and complaints together as problems", () => {
    const delivered = message("ada@example.org", 1, "sent");
    const bounced = message("bob@example.org", 2, "sent");
    const complained = message("carol@example.org", 3, "sent");
    message("dan@example.org", 4, "sent");
    const report = (id: string, delivery: "delivered" | "bounced" | "complained") =>
      db
        .update(outbox)
        .set({ delivery, deliveryDetail: delivery === "bounced" ? "Permanent: no such mailbox" : null })
        .where(eq(outbox.id, id))
        .run();
    report(delivered, "delivered");
    report(bounced, "bounced");
    report(complained, "complained");
    const list = (delivery: "" | "problem" | "bounced") => listOutbox(db, { state: "", delivery, q: "", page: 1 });
    expect(list("problem").rows.map((r) => r.id)).toEqual([complained, bounced]);
    expect(list("bounced").rows.map((r) => [r.id, r.delivery, r.deliveryDetail])).toEqual([
      [bounced, "bounced", "Permanent: no such mailbox"],
    ]);
    expect(list("").deliveries).toEqual({ problem: 2, delayed: 0, delivered: 1, bounced: 1, complained: 1 });
    expect(list("problem")).toMatchObject({ total: 2, counts: { sent: 2 } });
  });
});

describe("retry", () => {
  it("queues a failed message again with a fresh count, audited; refuses any other", () => {
    const failed = message("bob@example.org", 1, "failed");
    const sent = message("ada@example.org", 2, "sent");
    const now = T0 + 3_600_000;
    expect(retryMessage(db, staff, failed, now)).toEqual({ ok: true });
    expect(db.select().from(outbox).where(eq(outbox.id, failed)).get()).toMatchObject({
      state: "pending",
      attempts: 0,
      nextAttemptAt: new Date(now),
      lastError: "HTTP 500 from the provider",
    });
    expect(db.select().from(auditLog).all()).toMatchObject([
      {
        actorId: 3,
        actorEmail: "organizer@example.org",
        action: "mail.retry",
        subjectType: "outbox",
        subjectId: failed,
        before: { state: "failed", attempts: 20, lastError: "HTTP 500 from the provider" },
        after: { state: "pending", attempts: 0 },
      },
    ]);
    expect(retryMessage(db, staff, failed, now)).toEqual({ ok: false, reason: "not_failed" });
    expect(retryMessage(db, staff, sent, now)).toEqual({ ok: false, reason: "not_failed" });
    expect(retryMessage(db, staff, "00000000-0000-4000-8000-000000000000", now)).toEqual({ ok: false, reason: "not_found" });
    expect(db.select().from(auditLog).all()).toHaveLength(1);
  });
});

describe("held messages", () => {
  const held = (recipient: string, minutes: number) =>
    enqueue(db, { template: "auth.sign_in", language: "en", recipient, payload: { nonce: "n" } }, T0 + minutes * 60_000, { held: true });

  it("a cancelled one is `cancelled` at the given time, listed as such, and never retried", () => {
    const id = held("ada@example.org", 1);
    const now = T0 + 3_600_000;
    expect(cancelHeldMessage(db, staff, id, now)).toEqual({ ok: true });
    expect(db.select().from(outbox).where(eq(outbox.id, id)).get()).toMatchObject({
      state: "cancelled",
      nextAttemptAt: new Date(now),
      lastError: "Cancelled before sending by organizer@example.org",
    });
    expect(retryMessage(db, staff, id, now)).toEqual({ ok: false, reason: "cancelled" });
    expect(db.select().from(outbox).where(eq(outbox.id, id)).get()!.state).toBe("cancelled");
    const list = listOutbox(db, parseOutboxQuery(new URLSearchParams("state=cancelled")));
    expect(list.rows.map((r) => [r.id, r.state, r.held])).toEqual([[id, "cancelled", false]]);
    expect(list.counts).toMatchObject({ cancelled: 1, failed: 0, held: 0 });
    expect(
      db
        .select()
        .from(auditLog)
        .all()
        .map((e) => [e.action, e.after]),
    ).toEqual([["mail.cancel_held", { state: "cancelled" }]]);
  });

  it("sending all sends only the held messages the organizer was shown, or nothing", () => {
    const a = held("ada@example.org", 1);
    const shown = heldDigest(heldMessageIds(db));
    expect(heldDigest([a])).toBe(shown);
    const b = held("bob@example.org", 2);
    expect(sendHeldMessages(db, staff, { all: shown }, T0)).toEqual({ ok: false, reason: "changed", count: 2 });
    expect(heldMessageIds(db)).toEqual([a, b]);
    expect(db.select().from(auditLog).all()).toEqual([]);
    // The order the ids come in does not matter.
    expect(sendHeldMessages(db, staff, { all: heldDigest([b, a]) }, T0)).toEqual({ ok: true, sent: 2 });
    expect(heldMessageIds(db)).toEqual([]);
  });
});
