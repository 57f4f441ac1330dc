import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../db/client.ts";
import { outbox } from "../../db/schema/outbox.ts";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { enqueue } from "../../src/lib/email/outbox.ts";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { mailboxTransport } from "../../src/lib/email/transport.ts";
import { deliverDue, renderer } from "../../src/lib/email/worker.ts";
import { deriveSecret } from "../../src/lib/security/secrets.ts";
import { startFakeResend, type Behaviour, type FakeResend } from "../helpers/fake-resend.ts";

// The outbox worker as its own process (`scripts/mail-work.mjs`), the real Resend SDK inside it,
// against a fake Resend that fails in every way a provider can. No build needed.

const APP_SECRET = "test-secret-test-secret-test-secret-0123";
const MESSAGES = 30;
const REFUSED = "refused@example.org";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

interface Worker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorkerProcess(env: Record<string, string>, args: string[] = []): Worker {
  const child = spawn(process.execPath, ["scripts/mail-work.mjs", ...args], {
    env: { ...process.env, APP_SECRET, SITE_URL: "https://forum.example.org", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe("delivery through Resend, unreliable, with a worker killed mid-send", () => {
  let dir: string;
  let db: Db;
  let fake: FakeResend;
  const workers: Worker[] = [];
  let hangArmed = true;
  let fresh = 0; // requests under a key not yet accepted: the plan's own count

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "forum-delivery-"));
    db = openDatabase(join(dir, "forum.db"));
    fake = await startFakeResend({
      apiKey: "re_test",
      plan: ({ body, delivered }): Behaviour => {
        const n = ++fresh;
        if (body.to === REFUSED || (Array.isArray(body.to) && body.to[0] === REFUSED)) return "422";
        // Once ten have gone through, the next is accepted and never answered: the test kills the worker then.
        if (hangArmed && delivered >= 10) {
          hangArmed = false;
          return "accept-then-hang";
        }
        if (n === 4 || n === 30) return "429";
        if (n % 5 === 1) return "500";
        if (n % 7 === 2) return "drop";
        if (n % 6 === 3) return "accept-then-drop";
        return "ok";
      },
    });
  });

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    await fake?.close();
    db?.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers every message exactly once, loses none, and fails the refused one without retrying it", async () => {
    const templates = ["registration.confirm_address", "registration.confirmed", "registration.cancelled"] as const;
    const ids: string[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const template = templates[i % templates.length]!;
      ids.push(
        enqueue(db, {
          template,
          language: i % 2 ? "fr" : "en",
          recipient: `attendee-${i}@example.org`,
          payload: { name: `Attendee ${i}`, manageNonce: `manage-${i}`, ticketNonce: `ticket-${i}`, category: "industry" },
        }),
      );
    }
    const refused = enqueue(db, { template: "registration.cancelled", language: "en", recipient: REFUSED, payload: { name: "Refused" } });

    const env = {
      DATABASE_PATH: join(dir, "forum.db"),
      RESEND_API_KEY: "re_test",
      RESEND_BASE_URL: fake.url,
      MAIL_FROM: "Safer World Forum <forum@example.org>",
      MAIL_POLL_MS: "50",
      MAIL_RETRY_BASE_MS: "50",
      MAIL_RETRY_MAX_MS: "400",
      MAIL_LEASE_MS: "1500",
    };
    const first = startWorkerProcess(env);
    workers.push(first);
    await Promise.race([
      fake.hung(),
      // Deadlines, not pauses: each confirmed message draws a ticket PDF and PNG, slow on a loaded machine.
      sleep(40_000).then(() => {
        throw new Error(`the worker never reached the hanging request:\n${first.output()}`);
      }),
    ]);
    first.child.kill("SIGKILL");
    await first.exited;

    const hungKey = fake.log.find((entry) => entry.behaviour === "accept-then-hang")!.key!;
    const rowOf = (id: string) =>
      db
        .select()
        .from(outbox)
        .all()
        .find((row) => row.id === id)!;
    // Killed mid-send: the message is still leased to the dead worker, and the fake already has it.
    expect(rowOf(hungKey).state).toBe("sending");
    expect(fake.deliveries().filter((d) => d.key === hungKey)).toHaveLength(1);

    const second = startWorkerProcess(env);
    workers.push(second);
    await until(
      "every message to be settled",
      () =>
        db
          .select()
          .from(outbox)
          .all()
          .every((row) => row.state === "sent" || row.state === "failed"),
      60_000,
    );
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const rows = db.select().from(outbox).all();
    const deliveries = fake.deliveries();
    // Exactly once, by key and by content.
    expect(deliveries.map((d) => d.key).sort()).toEqual([...ids].sort());
    expect(new Set(deliveries.map((d) => d.to)).size).toBe(MESSAGES);
    for (const id of ids) {
      const row = rows.find((r) => r.id === id)!;
      const delivery = deliveries.find((d) => d.key === id)!;
      expect(row.state).toBe("sent");
      expect(row.providerMessageId).toBe(delivery.id);
      expect(delivery.to).toBe(row.recipient);
      expect(delivery.from).toBe("Safer World Forum <forum@example.org>");
      expect(delivery.subject).toMatch(row.language === "fr" ? /– Forum Monde plus sûr$/ : /– Safer World Forum$/);
      if (row.template === "registration.confirmed") {
        expect(delivery.attachments.map((a) => [a.filename, a.contentId])).toEqual([
          ["ticket-qr.png", "ticket-qr"],
          ["ticket.pdf", undefined],
          ["ticket.png", undefined],
          ["forum.ics", undefined],
        ]);
      }
    }

    // The refused message: failed with the provider's reason, asked once.
    const refusedRow = rows.find((r) => r.id === refused)!;
    expect(refusedRow).toMatchObject({ state: "failed", attempts: 1 });
    expect(refusedRow.lastError).toBe("Resend 422 validation_error: The to address is invalid");
    expect(fake.log.filter((entry) => entry.key === refused)).toHaveLength(1);

    // The killed worker's message was taken over after its lease and answered from the idempotency record.
    expect(rowOf(hungKey).attempts).toBeGreaterThanOrEqual(2);
    expect(fake.log.filter((entry) => entry.key === hungKey).map((e) => e.behaviour)).toEqual(["accept-then-hang", "duplicate"]);

    // Every kind of failure really happened.
    const seen = new Set(fake.log.map((entry) => entry.behaviour));
    for (const behaviour of ["500", "429", "drop", "accept-then-drop", "accept-then-hang", "duplicate", "422"])
      expect(seen).toContain(behaviour);

    // After a 429 with `retry-after: 1`, nothing was sent for a second.
    for (const [i, entry] of fake.log.entries()) {
      const next = fake.log[i + 1];
      if (entry.behaviour === "429" && next) expect(next.at - entry.at).toBeGreaterThanOrEqual(950);
    }
  }, 150_000);
});

describe("delivery to the local mailbox", () => {
  let dir: string;
  let db: Db;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "forum-mailbox-"));
    db = openDatabase(join(dir, "forum.db"));
  });
  afterAll(() => {
    db?.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes each message once as a readable file, with the manage link and the ticket", async () => {
    const appKey = Buffer.alloc(32, 3);
    const mailbox = join(dir, "mailbox");
    const confirmed = enqueue(db, {
      template: "registration.confirmed",
      language: "fr",
      recipient: "zoe@example.org",
      payload: { name: "Zoé", manageNonce: "m-1", ticketNonce: "t-1", category: "law-enforcement" },
    });
    const cancelled = enqueue(db, {
      template: "registration.cancelled",
      language: "en",
      recipient: "ada@example.org",
      payload: { name: "Ada" },
    });
    const options = {
      transport: mailboxTransport({ dir: mailbox }),
      render: renderer({ edition: loadEdition(), siteUrl: "https://forum.example.org", appKey }),
      from: "Forum <no-reply@localhost>",
    };
    expect(await deliverDue(db, options)).toBe(2);
    expect(await deliverDue(db, options)).toBe(0);

    const messages = readMailbox(mailbox);
    expect(messages.map((m) => m.id).sort()).toEqual([confirmed, cancelled].sort());
    expect(readdirSync(mailbox).filter((f) => f.endsWith(".eml"))).toHaveLength(2);
    const zoe = messages.find((m) => m.id === confirmed)!;
    expect(zoe).toMatchObject({
      to: "zoe@example.org",
      from: "Forum <no-reply@localhost>",
      subject: "Inscription confirmée\u00a0: votre billet – Forum Monde plus sûr",
      template: "registration.confirmed",
    });
    const token = /https:\/\/forum\.example\.org\/fr\/register\/manage\/(\S+)/.exec(zoe.text)?.[1];
    expect(token).toBe(deriveSecret(appKey, "manage", "m-1"));
    expect(zoe.html).toContain(`href="https://forum.example.org/fr/register/manage/${token}"`);
    expect(zoe.attachments.map((a) => a.filename)).toEqual(["ticket-qr.png", "ticket.pdf", "ticket.png", "forum.ics"]);

    // The same key again (a retry after a crash between the write and the record): no second file.
    const [row] = db
      .select()
      .from(outbox)
      .all()
      .filter((r) => r.id === cancelled);
    const again = await options.transport.send(
      { ...(await options.render(row!)), to: row!.recipient, from: options.from, template: row!.template },
      { idempotencyKey: cancelled },
    );
    expect(again).toEqual({ ok: true, id: messages.find((m) => m.id === cancelled)!.file });
    expect(readMailbox(mailbox)).toHaveLength(2);
  });

  it("`mail-work.mjs --once` delivers what is due to MAILBOX_DIR and exits", async () => {
    const mailbox = join(dir, "once");
    const id = enqueue(db, {
      template: "registration.waitlisted",
      language: "en",
      recipient: "grace@example.org",
      payload: { name: "Grace", manageNonce: "m", category: "industry" },
    });
    const worker = startWorkerProcess({ DATABASE_PATH: join(dir, "forum.db"), MAILBOX_DIR: mailbox, RESEND_API_KEY: "" }, ["--once"]);
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain("Mail worker: delivering through mailbox (once).");
    expect(worker.output()).toContain("Mail worker: 1 sent, 0 to retry, 0 failed.");
    expect(readMailbox(mailbox).map((m) => [m.id, m.to, m.subject])).toEqual([
      [id, "grace@example.org", "You are on the waiting list – Safer World Forum"],
    ]);
  });
});
