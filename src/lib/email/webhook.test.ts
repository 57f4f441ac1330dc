import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { mailWebhookEvents, outbox, registrations } from "../../../db/schema/index.ts";
import { emailEvent, signWebhook, WEBHOOK_SECRET } from "../../../tests/helpers/fake-resend.ts";
import { ok, registrationInput } from "../../../tests/fixtures/registration.ts";
import { loadEdition } from "../config/edition.ts";
import { confirmEmail, submit } from "../registration/service.ts";
import { deriveSecret } from "../security/secrets.ts";
import { enqueue } from "./outbox.ts";
import { receiveWebhook, type WebhookHeaders } from "./webhook.ts";

const appKey = Buffer.alloc(32, 7);

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-webhook-"));
  db = openDatabase(join(dir, "forum.db"));
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const headersOf = (h: Record<string, string>): WebhookHeaders => ({
  id: h["svix-id"] ?? null,
  timestamp: h["svix-timestamp"] ?? null,
  signature: h["svix-signature"] ?? null,
});
const deliver = (body: string, options: Parameters<typeof signWebhook>[1] = {}, secret = WEBHOOK_SECRET) =>
  receiveWebhook(db, { payload: body, headers: headersOf(signWebhook(body, options)), secret });
const row = (id: string) => db.select().from(outbox).where(eq(outbox.id, id)).get()!;
const events = () => db.select().from(mailWebhookEvents).all().length;

/** A sent message the provider knows as `providerId`. */
function sent(
  providerId: string,
  template: "registration.cancelled" | "registration.confirm_address" = "registration.cancelled",
  registrationId: number | null = null,
) {
  const id = enqueue(db, { template, language: "en", recipient: "ada@example.org", payload: { name: "Ada" }, registrationId });
  db.update(outbox).set({ state: "sent", providerMessageId: providerId, sentAt: new Date() }).where(eq(outbox.id, id)).run();
  return id;
}

describe("the Resend webhook", () => {
  it("records a delivery on the message the provider names", () => {
    const id = sent("re-1");
    expect(deliver(emailEvent("email.delivered", "re-1"))).toEqual({ status: 200, outcome: "recorded", type: "email.delivered" });
    expect(row(id)).toMatchObject({ delivery: "delivered", deliveryDetail: null, deliveryAt: new Date("2013-07-01T08:00:05.000Z") });
  });

  it("keeps the gravest word: a delay after the delivery changes nothing, a complaint after it does", () => {
    const id = sent("re-1");
    deliver(emailEvent("email.delivered", "re-1"));
    expect(deliver(emailEvent("email.delivery_delayed", "re-1"))).toMatchObject({ status: 200, outcome: "ignored" });
    expect(row(id).delivery).toBe("delivered");
    expect(deliver(emailEvent("email.complained", "re-1"))).toMatchObject({ status: 200, outcome: "recorded" });
    expect(row(id).delivery).toBe("complained");
  });

  it("marks the registration whose address confirmation bounced, until the address is confirmed after all", () => {
    const deps = { db, edition: loadEdition(), appKey };
    const { registrationId } = submit(deps, registrationInput({ email: "typo@exmaple.org" }));
    const message = db.select().from(outbox).where(eq(outbox.registrationId, registrationId)).get()!;
    db.update(outbox).set({ state: "sent", providerMessageId: "re-9" }).where(eq(outbox.id, message.id)).run();
    const bounce = { bounce: { type: "Permanent", subType: "General", message: "The recipient's mailbox does not exist.\r\n" } };
    expect(deliver(emailEvent("email.bounced", "re-9", bounce))).toMatchObject({ status: 200, outcome: "recorded" });
    const detail = "Permanent (General): The recipient's mailbox does not exist.";
    expect(row(message.id)).toMatchObject({ delivery: "bounced", deliveryDetail: detail });
    expect(db.select().from(registrations).where(eq(registrations.id, registrationId)).get()).toMatchObject({
      emailBouncedAt: new Date("2013-07-01T08:00:05.000Z"),
      emailBounce: detail,
    });
    ok(confirmEmail(deps, deriveSecret(appKey, "manage", (message.payload as { manageNonce: string }).manageNonce)));
    expect(db.select().from(registrations).where(eq(registrations.id, registrationId)).get()).toMatchObject({
      emailBouncedAt: null,
      emailBounce: null,
    });
  });

  it("refuses a bad signature, a stale or future timestamp, a missing header and a replay with 401, and records nothing", () => {
    const id = sent("re-1");
    const body = emailEvent("email.bounced", "re-1", { bounce: { type: "Permanent", message: "no" } });
    const headers = signWebhook(body, { id: "msg_1" });
    const refuse = (payload: string, h: Record<string, string>, secret = WEBHOOK_SECRET) =>
      receiveWebhook(db, { payload, headers: headersOf(h), secret });
    // The body changed after signing, another secret, a signature of another scheme.
    expect(refuse(body.replace("re-1", "re-2"), headers)).toEqual({ status: 401, reason: "bad_signature" });
    expect(refuse(body, headers, `whsec_${Buffer.from("another secret entirely").toString("base64")}`)).toEqual({
      status: 401,
      reason: "bad_signature",
    });
    expect(refuse(body, { ...headers, "svix-signature": headers["svix-signature"]!.replace("v1,", "v2,") })).toEqual({
      status: 401,
      reason: "bad_signature",
    });
    expect(refuse(body, { ...headers, "svix-signature": "" })).toEqual({ status: 401, reason: "bad_signature" });
    // Signed six minutes ago, or six minutes ahead: outside the 5-minute window.
    expect(refuse(body, signWebhook(body, { id: "msg_2", at: Date.now() - 6 * 60_000 }))).toEqual({ status: 401, reason: "bad_signature" });
    expect(refuse(body, signWebhook(body, { id: "msg_3", at: Date.now() + 6 * 60_000 }))).toEqual({ status: 401, reason: "bad_signature" });
    expect(row(id).delivery).toBeNull();
    expect(events()).toBe(0);

    expect(refuse(body, headers)).toMatchObject({ status: 200, outcome: "recorded" });
    db.update(outbox).set({ delivery: null }).where(eq(outbox.id, id)).run();
    // The same delivery played again, signature and all: refused, and it records nothing.
    expect(refuse(body, headers)).toEqual({ status: 401, reason: "replayed" });
    expect(row(id).delivery).toBeNull();
    expect(events()).toBe(1);
  });

  it("answers 200 to an event it has no use for, and 400 to a signed body that is not an event", () => {
    expect(deliver(emailEvent("email.opened", "re-1"))).toEqual({ status: 200, outcome: "ignored", type: "email.opened" });
    expect(deliver(emailEvent("email.delivered", "unknown-to-us"))).toEqual({ status: 200, outcome: "ignored", type: "email.delivered" });
    expect(deliver("not json")).toEqual({ status: 400, reason: "malformed" });
    expect(deliver("[1, 2]")).toEqual({ status: 400, reason: "malformed" });
  });
});
