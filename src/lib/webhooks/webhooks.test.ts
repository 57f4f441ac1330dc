import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import { auditLog, outbox, registrations, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../../db/schema/index.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { proposal, speakerProfile, user } from "../../../tests/fixtures/cfp.ts";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";
import { editionSchema, loadEdition } from "../config/edition.ts";
import { confirmToken } from "../cfp/links.ts";
import { profileSchema, proposalSchema } from "../cfp/form.ts";
import { updateProfile } from "../cfp/profile.ts";
import { createDraft, submitProposal } from "../cfp/proposals.ts";
import { publishRelease } from "../programme/releases.ts";
import { zonedToInstant } from "../programme/time.ts";
import { decideRegistrations } from "../registration/admin.ts";
import { checkInAtDesk } from "../registration/checkin.ts";
import { cancel } from "../registration/service.ts";
import { answerConfirmation } from "../review/confirm.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../review/decisions.ts";
import { addressAllowed, classifyAddress } from "./addresses.ts";
import { claimDelivery, recordAttempt, resendDelivery } from "./deliveries.ts";
import {
  createEndpoint,
  deleteEndpoint,
  endpointFields,
  endpointSecret,
  rotateEndpointSecret,
  setEndpointEnabled,
  targetProblem,
  urlProblem,
} from "./endpoints.ts";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./events.ts";
import { signWebhook, verifyWebhook } from "./signing.ts";

const organizer = { id: 1, email: "organizer@example.org" };

describe("the address classifier (SSRF)", () => {
  const cases: [string, string][] = [
    ["93.184.216.34", "public"],
    ["8.8.8.8", "public"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"], // cloud metadata
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["100.128.0.1", "public"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.10", "documentation"],
    ["198.18.0.1", "reserved"],
    ["2606:4700:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["[::1]", "loopback"],
    ["::", "unspecified"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"], // IPv4-compatible
    ["64:ff9b::a00:1", "private"], // NAT64 of 10.0.0.1
    ["64:ff9b::808:808", "public"], // NAT64 of 8.8.8.8
    ["2002:7f00:1::", "loopback"], // 6to4 of 127.0.0.1
    ["2002:c0a8:101::1", "private"], // 6to4 of 192.168.1.1
    ["fc00::1", "unique-local"],
    ["fd12:3456:789a::1", "unique-local"],
    ["fe80::1", "link-local"],
    ["FE80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "private"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["2001::1", "reserved"], // Teredo
    ["not an address", "invalid"],
    ["localhost", "invalid"],
  ];
  it.each(cases)("%s is %s", (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it("allows only public addresses unless private targets are allowed; never an invalid one", () => {
    expect(addressAllowed("8.8.8.8", false)).toBe(true);
    expect(addressAllowed("127.0.0.1", false)).toBe(false);
    expect(addressAllowed("::ffff:127.0.0.1", false)).toBe(false);
    expect(addressAllowed("127.0.0.1", true)).toBe(true);
    expect(addressAllowed("nonsense", true)).toBe(false);
  });
});

describe("the URL of an endpoint", () => {
  const strict = {} as NodeJS.ProcessEnv;
  it("refuses what is not https, carries credentials or a fragment, or names a private address in any spelling", () => {
    expect(urlProblem("https://hooks.example.org/forum", strict)).toBeUndefined();
    expect(urlProblem("http://hooks.example.org/forum", strict)).toBe("webhooks:urlHttps");
    expect(urlProblem("http://hooks.example.org/forum", { WEBHOOKS_ALLOW_HTTP: "1" })).toBeUndefined();
    expect(urlProblem("ftp://hooks.example.org/", strict)).toBe("webhooks:urlInvalid");
    expect(urlProblem("hooks.example.org", strict)).toBe("webhooks:urlInvalid");
    expect(urlProblem("https://user:pw@hooks.example.org/", strict)).toBe("webhooks:urlCredentials");
    expect(urlProblem("https://hooks.example.org/#x", strict)).toBe("webhooks:urlFragment");
    for (const url of [
      "https://127.0.0.1/",
      "https://2130706433/", // 127.0.0.1 as one number: the URL parser reads it so
      "https://0x7f.1/",
      "https://[::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://169.254.169.254/latest/meta-data",
      "https://10.0.0.1:8443/",
      "https://[fd00::1]/",
    ])
      expect(urlProblem(url, strict), url).toBe("webhooks:urlPrivate");
    expect(urlProblem("http://127.0.0.1:9/", { WEBHOOKS_ALLOW_PRIVATE: "1" })).toBeUndefined();
  });

  it("resolves a host name at registration: a name that leads to a private address (or nowhere) gets a message", async () => {
    const resolve = async (host: string) => {
      if (host === "internal.example.org") return ["10.0.0.5"];
      if (host === "mixed.example.org") return ["93.184.216.34", "::1"];
      if (host === "hooks.example.org") return ["93.184.216.34"];
      throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    };
    const env = {} as NodeJS.ProcessEnv;
    expect(await targetProblem("https://hooks.example.org/x", { env, resolve })).toBeUndefined();
    expect(await targetProblem("https://internal.example.org/x", { env, resolve })).toBe("webhooks:urlPrivate");
    expect(await targetProblem("https://mixed.example.org/x", { env, resolve })).toBe("webhooks:urlPrivate");
    expect(await targetProblem("https://nowhere.example.org/x", { env, resolve })).toBe("webhooks:urlUnresolvable");
    expect(await targetProblem("https://internal.example.org/x", { env: { WEBHOOKS_ALLOW_PRIVATE: "1" }, resolve })).toBeUndefined();
  });

  it("the form's schema gives the URL error by the field and needs an event type", () => {
    const schema = (env: NodeJS.ProcessEnv) => {
      const f = endpointFields(env);
      return { url: f.url, events: f.events };
    };
    const parsed = schema({}).url.safeParse("https://[::1]/hook");
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe("webhooks:urlPrivate");
    expect(schema({}).events.safeParse([]).error?.issues[0]?.message).toBe("webhooks:noEvents");
    expect(schema({}).events.safeParse(["registration.created"]).data).toEqual(["registration.created"]);
    expect(schema({}).events.safeParse(["registration.created", "nope"]).success).toBe(false);
  });
});

describe("signatures", () => {
  it("signs id.timestamp.body with the secret's bytes, as Standard Webhooks does, and verifies within the tolerance", () => {
    // Standard Webhooks' own test vector (standard-webhooks/standard-webhooks, libraries' tests).
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, id, 1614265330, body)).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    const headers = { id, timestamp: "1614265330", signature: signWebhook(secret, id, 1614265330, body) };
    expect(verifyWebhook(secret, headers, body, 1614265330 + 60)).toBe(true);
    expect(verifyWebhook(secret, headers, body + " ", 1614265330)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, id: "msg_other" }, body, 1614265330)).toBe(false);
    expect(verifyWebhook(secret, headers, body, 1614265330 + 301)).toBe(false);
    expect(verifyWebhook("whsec_" + randomBytes(32).toString("base64"), headers, body, 1614265330)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, signature: `v1,bogus ${headers.signature}` }, body, 1614265330)).toBe(true);
  });
});

describe("endpoints", () => {
  let world: ReturnType<typeof registrationWorld>;
  afterEach(() => world?.close());

  it("keeps the secret sealed (not in the database in clear), gives it back only to sign, rotates and audits", () => {
    world = registrationWorld();
    const { db, deps } = world;
    const { id, secret } = createEndpoint(db, deps.appKey, organizer, {
      url: "https://hooks.example.org/a",
      description: "CRM",
      events: ["registration.created"],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const row = db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get()!;
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect(row.secretHint).toBe(secret.slice(-4));
    expect(endpointSecret(deps.appKey, row)).toBe(secret);
    // Sealed for this endpoint: the same value under another id does not open.
    expect(() => endpointSecret(deps.appKey, { ...row, id: id + 1 })).toThrow();
    expect(() => endpointSecret(randomBytes(32), row)).toThrow();
    const rotated = rotateEndpointSecret(db, deps.appKey, organizer, id);
    expect(rotated.ok && rotated.secret).not.toBe(secret);
    expect(endpointSecret(deps.appKey, db.select().from(webhookEndpoints).get()!)).toBe(rotated.ok && rotated.secret);
    expect(rotateEndpointSecret(db, deps.appKey, organizer, 999)).toEqual({ ok: false, reason: "not_found" });
    expect(
      db
        .select({ action: auditLog.action })
        .from(auditLog)
        .all()
        .map((a) => a.action),
    ).toEqual(["webhook.create", "webhook.rotate_secret"]);
  });

  it("a disabled endpoint gets no new event, and what it had queued waits unclaimed; a deleted one takes its deliveries along", () => {
    world = registrationWorld();
    const { db, deps } = world;
    const on = createEndpoint(db, deps.appKey, organizer, {
      url: "https://a.example.org/",
      description: "",
      events: ["registration.created"],
    });
    const off = createEndpoint(db, deps.appKey, organizer, {
      url: "https://b.example.org/",
      description: "",
      events: ["registration.created"],
    });
    world.register({}, { confirm: false });
    setEndpointEnabled(db, organizer, off.id, false);
    world.register({}, { confirm: false });
    const byEndpoint = (id: number) => db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id)).all();
    expect(byEndpoint(on.id)).toHaveLength(2);
    expect(byEndpoint(off.id)).toHaveLength(1);
    const claimed: number[] = [];
    for (let c = claimDelivery(db, { leaseMs: 60_000 }); c; c = claimDelivery(db, { leaseMs: 60_000 })) claimed.push(c.endpoint.id);
    expect(claimed).toEqual([on.id, on.id]);
    expect(byEndpoint(off.id)[0]!.state).toBe("pending");
    deleteEndpoint(db, organizer, off.id);
    expect(byEndpoint(off.id)).toEqual([]);
    expect(db.select().from(webhookEvents).all()).toHaveLength(2);
  });
});

describe("every event type is written by the change that causes it, in its transaction", () => {
  let world: ReturnType<typeof registrationWorld>;
  afterEach(() => world?.close());

  /** The events written so far, with what they say, oldest first. */
  const eventsOf = () =>
    world.db
      .select()
      .from(webhookEvents)
      .orderBy(sql`rowid`)
      .all()
      .map((e) => JSON.parse(e.body) as { id: string; type: WebhookEventType; timestamp: string; data: Record<string, unknown> });

  it("registrations: created, confirmed, waitlisted, promoted, rejected, cancelled, checked in", () => {
    world = registrationWorld({ byCategory: { industry: 1 } });
    const { db, deps } = world;
    createEndpoint(db, deps.appKey, organizer, { url: "https://hooks.example.org/", description: "", events: [...WEBHOOK_EVENT_TYPES] });
    const first = world.register({ category: "industry" });
    const second = world.register({ category: "industry" });
    expect(eventsOf().map((e) => [e.type, e.data.registration])).toEqual([
      ["registration.created", first],
      ["registration.confirmed", first],
      ["registration.created", second],
      ["registration.waitlisted", second],
    ]);
    cancel(deps, first, "attendee");
    expect(
      eventsOf()
        .slice(4)
        .map((e) => [e.type, e.data]),
    ).toEqual([
      ["registration.cancelled", { registration: first, state: "cancelled", category: "industry" }],
      ["registration.promoted", { registration: second, state: "confirmed", category: "industry" }],
    ]);
    const officer = world.register({ category: "law-enforcement" });
    decideRegistrations(deps, { id: 1, email: organizer.email }, "reject", [officer], "Not an officer");
    checkInAtDesk(deps, { id: 1, email: organizer.email }, { id: second }, "Desk 1");
    checkInAtDesk(deps, { id: 1, email: organizer.email }, { id: second }, "Desk 2"); // twice: once
    expect(
      eventsOf()
        .slice(6)
        .map((e) => [e.type, e.data.registration]),
    ).toEqual([
      ["registration.created", officer],
      ["registration.rejected", officer],
      ["registration.checked_in", second],
    ]);
    // No personal data in any payload: ids, states and categories only.
    const bodies = db
      .select({ body: webhookEvents.body })
      .from(webhookEvents)
      .all()
      .map((e) => e.body)
      .join("\n");
    for (const r of db.select().from(registrations).all()) {
      expect(bodies).not.toContain(r.email);
      expect(bodies).not.toContain(r.name);
    }
    // One delivery per event for the one endpoint.
    expect(db.select().from(webhookDeliveries).all()).toHaveLength(eventsOf().length);
  });

  it("a change that is refused (rolled back) leaves no event", () => {
    world = registrationWorld();
    const { db, deps } = world;
    createEndpoint(db, deps.appKey, organizer, { url: "https://hooks.example.org/", description: "", events: [...WEBHOOK_EVENT_TYPES] });
    const ok = world.register({ category: "law-enforcement" });
    const before = eventsOf().length;
    // The second registration is not under review: the whole decision is undone, the first's event with it.
    const done = world.register({ category: "industry" });
    expect(eventsOf().length).toBe(before + 2);
    expect(decideRegistrations(deps, { id: 1, email: organizer.email }, "approve", [ok, done])).toMatchObject({
      ok: false,
      reason: "invalid_state",
      registrationId: done,
    });
    expect(eventsOf().length).toBe(before + 2);
    expect(db.select().from(webhookDeliveries).all()).toHaveLength(before + 2);
  });

  it("an endpoint only gets the types it asked for; none asked, nothing is written", () => {
    world = registrationWorld();
    const { db, deps } = world;
    world.register();
    expect(eventsOf()).toEqual([]);
    createEndpoint(db, deps.appKey, organizer, { url: "https://hooks.example.org/", description: "", events: ["registration.cancelled"] });
    const id = world.register();
    expect(eventsOf()).toEqual([]);
    cancel(deps, id, "attendee");
    expect(eventsOf().map((e) => e.type)).toEqual(["registration.cancelled"]);
  });

  it("release published; proposal submitted, accepted, rejected, confirmed", () => {
    const db = openDatabase(":memory:");
    seedIfEmpty(db, "content");
    const appKey = randomBytes(32);
    const edition = editionSchema.parse({
      ...loadEdition("content"),
      cfp: { opens: "2013-01-07T09:00", deadline: "2013-03-31T23:59", formats: [{ format: "talk" }] },
    });
    const open = zonedToInstant("2013-03-01", "12:00", "Europe/Paris").getTime();
    const boss = user(db, "boss@example.org", ["organizer"]);
    createEndpoint(db, appKey, boss, { url: "https://hooks.example.org/", description: "", events: [...WEBHOOK_EVENT_TYPES] });
    const types = () =>
      db
        .select()
        .from(webhookEvents)
        .orderBy(sql`rowid`)
        .all()
        .map((e) => {
          const { type, data } = JSON.parse(e.body) as { type: string; data: Record<string, unknown> };
          return { type, data };
        });

    const release = publishRelease(db, boss, "First", Date.UTC(2013, 5, 1));
    expect(types()).toEqual([{ type: "release.published", data: { release, publishedAt: "2013-06-01T00:00:00.000Z" } }]);

    // A speaker submits a draft through the call.
    const ada = user(db, "ada@example.org");
    updateProfile(
      db,
      edition,
      ada,
      profileSchema(edition).parse({
        name: "Ada",
        affiliation: "",
        country: "",
        bioEn: "",
        bioFr: "",
        links: "",
        language: "en",
        days: [],
      }),
      open,
    );
    const input = proposalSchema(edition).parse({
      titleEn: "Hunting botnets",
      titleFr: "",
      abstractEn: "How three police forces took down a botnet.",
      abstractFr: "",
      descriptionEn: "",
      descriptionFr: "",
      format: "talk",
      track: "cybercrime-prevention",
      language: "en",
      audience: "public",
      tlp: "CLEAR",
      notes: "",
    });
    const draft = createDraft({ db, edition, appKey }, ada, input, open);
    if (!draft.ok) throw new Error(draft.reason);
    expect(submitProposal({ db, edition, appKey }, ada, draft.code, 1, open + 1000)).toEqual({ ok: true });
    expect(types().at(-1)).toEqual({ type: "proposal.submitted", data: { proposal: draft.code, state: "submitted" } });

    // The committee accepts one and rejects another; the decisions are released together.
    const bob = speakerProfile(db, "bob@example.org", { name: "Bob" });
    const rejected = proposal(db, [bob.id]);
    setPendingDecisions(db, boss, [draft.code], "accepted");
    setPendingDecisions(db, boss, [rejected.code], "rejected");
    const before = types().length;
    expect(releaseDecisions(db, appKey, boss, pendingDigest(db))).toMatchObject({ ok: true, accepted: 1, rejected: 1 });
    expect(
      types()
        .slice(before)
        .map((e) => [e.type, e.data.proposal])
        .sort(),
    ).toEqual(
      [
        ["proposal.accepted", draft.code],
        ["proposal.rejected", rejected.code],
      ].sort(),
    );

    // The accepted speaker confirms by the e-mail's link.
    const mail = db
      .select()
      .from(outbox)
      .all()
      .find((m) => m.template === "cfp.accepted")!;
    const answered = answerConfirmation(db, confirmToken(appKey, (mail.payload as { nonce: string }).nonce), "confirm");
    expect(answered).toMatchObject({ ok: true, state: "confirmed" });
    expect(types().at(-1)).toEqual({
      type: "proposal.confirmed",
      data: { proposal: draft.code, state: "confirmed", session: (answered as { sessionSlug: string }).sessionSlug },
    });
    db.$client.close();
  });

  it("between the two tests above, every event type of the list is emitted (none forgotten)", () => {
    // The list the organizers tick is exactly the list the tests above drive.
    expect([...WEBHOOK_EVENT_TYPES].sort()).toEqual(
      [
        "registration.created",
        "registration.confirmed",
        "registration.waitlisted",
        "registration.promoted",
        "registration.rejected",
        "registration.cancelled",
        "registration.checked_in",
        "release.published",
        "proposal.submitted",
        "proposal.accepted",
        "proposal.rejected",
        "proposal.confirmed",
      ].sort(),
    );
  });
});

describe("the delivery outbox", () => {
  let world: ReturnType<typeof registrationWorld>;
  afterEach(() => world?.close());

  it("leases a claim, lets an expired lease be taken over, records only the holder's outcome, and re-sends under the same event", () => {
    world = registrationWorld();
    const { db, deps } = world;
    createEndpoint(db, deps.appKey, organizer, { url: "https://hooks.example.org/", description: "", events: ["registration.created"] });
    world.register({}, { confirm: false });
    const t0 = Date.now();
    const first = claimDelivery(db, { now: t0, leaseMs: 1_000 })!;
    expect(first.delivery).toMatchObject({ state: "sending", attempts: 1 });
    expect(claimDelivery(db, { now: t0 + 500, leaseMs: 1_000 })).toBeUndefined();
    const second = claimDelivery(db, { now: t0 + 1_001, leaseMs: 1_000 })!;
    expect(second.event.id).toBe(first.event.id);
    expect(second.delivery.attempts).toBe(2);
    // The first worker's late answer is not recorded over the second's claim.
    expect(recordAttempt(db, first.delivery, { kind: "delivered", status: 200, response: "" })).toBe(false);
    expect(recordAttempt(db, second.delivery, { kind: "failed", status: 410, response: "gone", error: "answered 410" })).toBe(true);
    expect(resendDelivery(db, organizer, second.delivery.id)).toEqual({ ok: true });
    const again = claimDelivery(db, { leaseMs: 1_000 })!;
    expect(again.event.id).toBe(first.event.id);
    expect(again.delivery).toMatchObject({ attempts: 1, state: "sending" });
    expect(resendDelivery(db, organizer, again.delivery.id)).toEqual({ ok: false, reason: "sending" });
  });

  it("fails a delivery whose lease expired at its last attempt instead of trying forever", () => {
    world = registrationWorld();
    const { db, deps } = world;
    createEndpoint(db, deps.appKey, organizer, { url: "https://hooks.example.org/", description: "", events: ["registration.created"] });
    world.register({}, { confirm: false });
    const t0 = Date.now();
    claimDelivery(db, { now: t0, leaseMs: 10, maxAttempts: 2 });
    claimDelivery(db, { now: t0 + 20, leaseMs: 10, maxAttempts: 2 });
    expect(claimDelivery(db, { now: t0 + 40, leaseMs: 10, maxAttempts: 2 })).toBeUndefined();
    expect(db.select().from(webhookDeliveries).get()).toMatchObject({
      state: "failed",
      lastError: expect.stringContaining("Abandoned after 2 attempts"),
    });
  });
});

describe("the documentation", () => {
  it("gives the verification snippet the tests use, and an example request whose signature is right", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync("docs/webhooks.md", "utf8");
    expect(doc).toContain(readFileSync("docs/examples/verify-webhook.mjs", "utf8"));
    const id = /webhook-id: (\S+)/.exec(doc)![1]!;
    const timestamp = Number(/webhook-timestamp: (\d+)/.exec(doc)![1]);
    const signature = /webhook-signature: (\S+)/.exec(doc)![1]!;
    const body = /\n\n(\{"id".*\})\n```/.exec(doc)![1]!;
    expect(signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, timestamp, body)).toBe(signature);
    // Every event type is in the documentation's table.
    for (const type of WEBHOOK_EVENT_TYPES) expect(doc).toContain(`| \`${type}\``);
  });
});
