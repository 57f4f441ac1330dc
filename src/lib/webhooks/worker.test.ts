import { fork } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { webhookDeliveries } from "../../../db/schema/index.ts";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";
// The receiver checks signatures with the very snippet the documentation gives (docs/webhooks.md).
import { verifyForumWebhook } from "../../../docs/examples/verify-webhook.mjs";
import { webhookReceiver } from "../../../tests/helpers/webhook-receiver.ts";
import { loadAppKey } from "../security/secrets.ts";
import { createEndpoint, setEndpointEnabled } from "./endpoints.ts";
import { deliverWebhooksDue, type WebhookWorkerOptions } from "./worker.ts";

let world: ReturnType<typeof registrationWorld>;
let hooks: Awaited<ReturnType<typeof webhookReceiver>> | undefined;
afterEach(async () => {
  await hooks?.close();
  hooks = undefined;
  world?.close();
});

const organizer = { id: 1, email: "organizer@example.org" };

/** A world with one endpoint on the receiver, for `events`; returns its secret. */
async function setUp(answer: Parameters<typeof webhookReceiver>[1], path = "/hook") {
  world = registrationWorld();
  let secret = "";
  hooks = await webhookReceiver(() => secret, answer);
  secret = createEndpoint(world.db, world.deps.appKey, organizer, {
    url: hooks.url + path,
    description: "Test",
    events: ["registration.created"],
  }).secret;
  return secret;
}

/** The clock of the passes: real time, moved on past each back-off by `skip`. */
function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, skip: (ms: number) => (offset += ms) };
}

const options = (appKey: Buffer, now: () => number): WebhookWorkerOptions => ({
  appKey,
  now,
  allowPrivate: true,
  timeoutMs: 500,
  retry: { baseMs: 1_000, maxMs: 2_000 },
  maxAttempts: 4,
  concurrency: 1,
});

const delivery = () => world.db.select().from(webhookDeliveries).get()!;

describe("delivering to a receiver", () => {
  it("POSTs the event's JSON with the id, a timestamp and a signature the documented snippet verifies", async () => {
    await setUp((_r, _n, res) => res.writeHead(204).end());
    const id = world.register({}, { confirm: false });
    const c = clock();
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, c.now))).toEqual({ delivered: 1, retry: 0, failed: 0 });
    const [got] = hooks!.received;
    expect(got!.verified).toBe(true);
    expect(got!.path).toBe("/hook");
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(got!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Math.abs(Number(got!.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(got!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const body = JSON.parse(got!.body);
    expect(body).toEqual({
      id: got!.headers["webhook-id"],
      type: "registration.created",
      timestamp: new Date(world.clock.now - 1000).toISOString(),
      data: { registration: id, state: "pending_email", category: "industry" },
    });
    expect(delivery()).toMatchObject({ state: "delivered", attempts: 1, lastStatus: 204, lastError: null });
    // A tampered body does not verify.
    expect(verifyForumWebhook("whsec_" + Buffer.alloc(32).toString("base64"), got!.headers, got!.body)).toBe(false);
  });

  it("tries again after a 500 and after a time-out, with the same id and body, until it is delivered", async () => {
    await setUp((_r, n, res) => {
      if (n === 1) res.writeHead(500).end("database down");
      else if (n === 2)
        return; // never answers: the worker's time-out
      else res.writeHead(200).end("ok");
    });
    world.register({}, { confirm: false });
    const c = clock();
    const o = options(world.deps.appKey, c.now);
    expect(await deliverWebhooksDue(world.db, o)).toEqual({ delivered: 0, retry: 1, failed: 0 });
    expect(delivery()).toMatchObject({
      state: "pending",
      attempts: 1,
      lastStatus: 500,
      lastResponse: "database down",
      lastError: "answered 500",
    });
    // Back-off with jitter: 1 s doubling, each between half and the whole of it.
    const wait1 = delivery().nextAttemptAt.getTime() - delivery().lastAttemptAt!.getTime();
    expect(wait1).toBeGreaterThanOrEqual(500);
    expect(wait1).toBeLessThanOrEqual(1_000);
    // Nothing is due before the back-off has passed.
    expect(await deliverWebhooksDue(world.db, o)).toEqual({ delivered: 0, retry: 0, failed: 0 });
    c.skip(1_000);
    expect(await deliverWebhooksDue(world.db, o)).toEqual({ delivered: 0, retry: 1, failed: 0 });
    expect(delivery()).toMatchObject({ state: "pending", attempts: 2, lastStatus: null, lastError: "timed out after 500 ms" });
    const wait2 = delivery().nextAttemptAt.getTime() - delivery().lastAttemptAt!.getTime();
    expect(wait2).toBeGreaterThanOrEqual(1_000);
    c.skip(2_000);
    expect(await deliverWebhooksDue(world.db, o)).toEqual({ delivered: 1, retry: 0, failed: 0 });
    expect(delivery()).toMatchObject({ state: "delivered", attempts: 3, lastStatus: 200, lastResponse: "ok" });
    const [a, b, d] = hooks!.received;
    expect(new Set([a, b, d].map((r) => r!.headers["webhook-id"])).size).toBe(1);
    expect(new Set([a, b, d].map((r) => r!.body)).size).toBe(1);
    expect([a, b, d].every((r) => r!.verified)).toBe(true);
  });

  it("gives up as failed after the last attempt", async () => {
    await setUp((_r, _n, res) => res.writeHead(503).end());
    world.register({}, { confirm: false });
    const c = clock();
    const o = { ...options(world.deps.appKey, c.now), maxAttempts: 2 };
    await deliverWebhooksDue(world.db, o);
    c.skip(2_000);
    expect(await deliverWebhooksDue(world.db, o)).toEqual({ delivered: 0, retry: 0, failed: 1 });
    expect(delivery()).toMatchObject({
      state: "failed",
      attempts: 2,
      lastStatus: 503,
      lastError: "answered 503 (gave up after 2 attempts)",
    });
  });

  it.each([410, 400, 404])("a %i fails at once, without retry, its answer recorded", async (status) => {
    await setUp((_r, _n, res) => res.writeHead(status).end(`no thanks ${"x".repeat(2_000)}`));
    world.register({}, { confirm: false });
    const c = clock();
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, c.now))).toEqual({ delivered: 0, retry: 0, failed: 1 });
    c.skip(60_000);
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, c.now))).toEqual({ delivered: 0, retry: 0, failed: 0 });
    expect(hooks!.received).toHaveLength(1);
    const row = delivery();
    expect(row).toMatchObject({ state: "failed", attempts: 1, lastStatus: status, lastError: `answered ${status}` });
    // The first bytes of the answer, not all of it.
    expect(row.lastResponse!.startsWith("no thanks x")).toBe(true);
    expect(row.lastResponse!.length).toBe(512);
  });

  it.each([408, 429])("a %i is tried again", async (status) => {
    await setUp((_r, n, res) => res.writeHead(n === 1 ? status : 200).end());
    world.register({}, { confirm: false });
    const c = clock();
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, c.now))).toMatchObject({ retry: 1 });
    c.skip(2_000);
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, c.now))).toMatchObject({ delivered: 1 });
  });

  it("never follows a redirect", async () => {
    await setUp((r, _n, res) => (r.path === "/hook" ? res.writeHead(307, { location: "/elsewhere" }).end() : res.writeHead(200).end()));
    world.register({}, { confirm: false });
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, Date.now))).toEqual({ delivered: 0, retry: 0, failed: 1 });
    expect(hooks!.received.map((r) => r.path)).toEqual(["/hook"]);
    expect(delivery()).toMatchObject({ state: "failed", lastStatus: 307, lastError: "redirect not followed (to /elsewhere)" });
  });

  it("refuses a private target at delivery time unless allowed, and connects to the address it checked", async () => {
    await setUp((_r, _n, res) => res.writeHead(200).end());
    world.register({}, { confirm: false });
    const o = { ...options(world.deps.appKey, Date.now), allowPrivate: false };
    expect(await deliverWebhooksDue(world.db, o)).toEqual({ delivered: 0, retry: 0, failed: 1 });
    expect(hooks!.received).toHaveLength(0);
    expect(delivery()).toMatchObject({
      state: "failed",
      lastStatus: null,
      lastError: "refused target: 127.0.0.1 resolves to 127.0.0.1 (loopback)",
    });

    // A host name whose answer holds one private address among public ones is refused too.
    world.db.update(webhookDeliveries).set({ state: "pending", attempts: 0 }).run();
    const port = new URL(hooks!.url).port;
    world.db.$client.prepare("update webhook_endpoints set url = ?").run(`http://hooks.test:${port}/hook`);
    const mixed = { ...o, resolve: async () => ["93.184.216.34", "::ffff:127.0.0.1"] };
    expect(await deliverWebhooksDue(world.db, mixed)).toMatchObject({ failed: 1 });
    expect(delivery().lastError).toBe("refused target: hooks.test resolves to ::ffff:127.0.0.1 (loopback)");

    // Allowed: the name is resolved once, by the worker, and the connection goes to that address
    // (hooks.test exists in no DNS: only the checked address can have reached the receiver).
    world.db.update(webhookDeliveries).set({ state: "pending", attempts: 0 }).run();
    let lookups = 0;
    const pinned = { ...o, allowPrivate: true, resolve: async () => (lookups++, ["127.0.0.1"]) };
    expect(await deliverWebhooksDue(world.db, pinned)).toMatchObject({ delivered: 1 });
    expect(lookups).toBe(1);
    expect(hooks!.received[0]!.headers.host).toBe(`hooks.test:${port}`);
  });

  it("a disabled endpoint gets nothing", async () => {
    await setUp((_r, _n, res) => res.writeHead(200).end());
    world.register({}, { confirm: false });
    const endpointId = delivery().endpointId;
    setEndpointEnabled(world.db, organizer, endpointId, false);
    world.register({}, { confirm: false });
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, Date.now))).toEqual({ delivered: 0, retry: 0, failed: 0 });
    expect(hooks!.received).toHaveLength(0);
    // Enabled again, it gets what was queued before it was disabled (and nothing of the time it was off).
    setEndpointEnabled(world.db, organizer, endpointId, true);
    expect(await deliverWebhooksDue(world.db, options(world.deps.appKey, Date.now))).toEqual({ delivered: 1, retry: 0, failed: 0 });
  });
});

describe("a worker killed mid-delivery", () => {
  /** Runs a worker process that stops at `point`, waits until it got there, and kills it (SIGKILL). */
  async function killAt(point: "claimed" | "answered") {
    const child = fork("tests/helpers/webhook-worker-child.ts", [], {
      env: { ...process.env, DATABASE_PATH: world.db.$client.name, CRASH_AT: point },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const [message] = (await once(child, "message")) as [{ point: string }];
    expect(message.point).toBe(point);
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  }

  /** A second worker, after the dead one's lease has expired. */
  const takeOver = () => {
    const later = Date.now() + 120_000;
    return deliverWebhooksDue(world.db, { ...options(loadAppKey(world.db.$client.name), () => later), timeoutMs: 5_000 });
  };

  /** A world whose key is the one a worker process loads from beside the database, one endpoint on a receiver that counts what it processed. */
  async function crashWorld() {
    world = registrationWorld();
    world.deps.appKey = loadAppKey(world.db.$client.name);
    let secret = "";
    const processed = new Set<string>();
    hooks = await webhookReceiver(
      () => secret,
      (r, _n, res) => {
        processed.add(String(r.headers["webhook-id"]));
        res.writeHead(200).end();
      },
    );
    secret = createEndpoint(world.db, world.deps.appKey, organizer, {
      url: hooks.url,
      description: "",
      events: ["registration.created"],
    }).secret;
    world.register({}, { confirm: false });
    return { processed };
  }

  it("between claim and send: the receiver gets the event exactly once, after the lease expires", async () => {
    await crashWorld();
    await killAt("claimed");
    expect(delivery()).toMatchObject({ state: "sending", attempts: 1 });
    expect(hooks!.received).toHaveLength(0);
    expect(await takeOver()).toEqual({ delivered: 1, retry: 0, failed: 0 });
    expect(hooks!.received).toHaveLength(1);
    expect(hooks!.received[0]!.verified).toBe(true);
    expect(delivery()).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("between send and marking: sent again (at least once), with the same webhook-id and body, so a receiver that keeps ids acts once", async () => {
    const { processed } = await crashWorld();
    await killAt("answered");
    expect(hooks!.received).toHaveLength(1);
    expect(delivery()).toMatchObject({ state: "sending", attempts: 1 });
    expect(await takeOver()).toEqual({ delivered: 1, retry: 0, failed: 0 });
    expect(hooks!.received).toHaveLength(2);
    const [first, second] = hooks!.received;
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect(first!.verified && second!.verified).toBe(true);
    expect(processed.size).toBe(1);
    expect(delivery()).toMatchObject({ state: "delivered", attempts: 2 });
  });
});
