// The organizers' webhooks through the real server (decision 40): an organizer adds an endpoint on
// /admin/webhooks and copies its secret from the page, the site's own forms change states, and the
// background process delivers signed requests to a receiver on 127.0.0.1; re-send, disable, rotate
// and delete through the page's forms; a private target refused by the URL field where the operator
// has not allowed private targets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts, type Client } from "../helpers/session.ts";
import { webhookReceiver } from "../helpers/webhook-receiver.ts";

const secretOf = (html: string) =>
  /id="webhook-secret"[^>]*value="(whsec_[A-Za-z0-9+/=]+)"|value="(whsec_[A-Za-z0-9+/=]+)"[^>]*id="webhook-secret"/
    .exec(html)
    ?.slice(1)
    .find(Boolean);
const count = (server: TestServer, sql: string) => {
  const data = serverDb(server);
  try {
    return (data.db.prepare(sql).get() as { n: number }).n;
  } finally {
    data.close();
  }
};

describe("webhooks on a server that allows private targets (the tests' receiver is on 127.0.0.1)", () => {
  let server: TestServer;
  let accounts: ReturnType<typeof serverAccounts>;
  let who: ReturnType<typeof people>;
  let organizer: Client;
  let secret = "";
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  let endpointId = 0;

  beforeAll(async () => {
    hooks = await webhookReceiver(() => secret);
    server = await startServer({ WEBHOOKS_ALLOW_PRIVATE: "1", WEBHOOK_POLL_MS: "50" });
    accounts = serverAccounts(server);
    who = people(server, accounts);
    organizer = await who.staff("hooks.organizer@example.org", ["organizer"]);
  });
  afterAll(async () => {
    accounts?.close();
    await server?.stop();
    await hooks?.close();
  });

  it("refuses a bad form by its fields and adds nothing", async () => {
    const response = await organizer.post("/admin/webhooks?_action=webhookCreate", { url: "ftp://example.org/x", description: "" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('id="f-url-error"');
    expect(html).toContain("Enter a full address starting with https://");
    expect(html).toContain('id="f-events-error"');
    expect(html).toContain("Choose at least one event.");
    expect(html).toContain('value="ftp://example.org/x"');
    expect(count(server, "select count(*) as n from webhook_endpoints")).toBe(0);
  });

  it("adds an endpoint and shows its secret once, kept only sealed", async () => {
    const response = await organizer.post("/admin/webhooks?_action=webhookCreate", {
      url: `${hooks.url}/forum`,
      description: "Badge printer",
      events: ["registration.created", "registration.confirmed", "registration.cancelled"],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("no-store");
    const html = await response.text();
    secret = secretOf(html) ?? "";
    expect(secret).toMatch(/^whsec_/);
    expect(html).toContain("it is shown only this once");
    const data = serverDb(server);
    try {
      const row = data.db.prepare("select * from webhook_endpoints").get() as Record<string, unknown>;
      endpointId = row.id as number;
      expect(JSON.stringify(row)).not.toContain(secret.slice(6));
      expect(row.events).toBe(JSON.stringify(["registration.created", "registration.confirmed", "registration.cancelled"]));
    } finally {
      data.close();
    }
    // Never again: not on the list, not on the endpoint's page.
    for (const path of ["/admin/webhooks", `/admin/webhooks/${endpointId}`, "/fr/admin/webhooks"]) {
      const page = await (await organizer.get(path)).text();
      expect(page).not.toContain(secret);
      expect(page).toContain(`${hooks.url}/forum`);
    }
  });

  it("delivers the events of the site's own forms, signed, from the background process", async () => {
    const id = await who.register("hooked@example.org", "industry");
    await hooks.until(2);
    const [created, confirmed] = hooks.received.map((r) => ({ ...r, json: JSON.parse(r.body) }));
    expect(created!.path).toBe("/forum");
    expect(created!.json).toMatchObject({ type: "registration.created", data: { registration: id, state: "pending_email" } });
    expect(confirmed!.json).toMatchObject({ type: "registration.confirmed", data: { registration: id, state: "confirmed" } });
    expect(hooks.received.every((r) => r.verified)).toBe(true);
    // The page lists them, delivered, with the answer.
    await expect.poll(() => count(server, "select count(*) as n from webhook_deliveries where state = 'delivered'")).toBe(2);
    const page = await (await organizer.get(`/admin/webhooks/${endpointId}`)).text();
    expect(page).toContain(created!.headers["webhook-id"] as string);
    expect(page).toContain("HTTP 200");
    expect(page).toContain("2 deliveries");
    // Filtered by the search.
    const filtered = await (await organizer.get(`/admin/webhooks/${endpointId}?q=confirmed`)).text();
    expect(filtered).toContain("1 delivery");
    expect(filtered).toContain(confirmed!.headers["webhook-id"] as string);
    expect(filtered).not.toContain(created!.headers["webhook-id"] as string);
  });

  it("sends a delivery again with the same webhook-id and body", async () => {
    const data = serverDb(server);
    const first = data.db.prepare("select id from webhook_deliveries order by id limit 1").get() as { id: number };
    data.close();
    const response = await organizer.post(`/admin/webhooks/${endpointId}?_action=webhookResend`, { delivery: String(first.id) });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/admin/webhooks/${endpointId}?done=resent`);
    await hooks.until(3);
    expect(hooks.received[2]!.headers["webhook-id"]).toBe(hooks.received[0]!.headers["webhook-id"]);
    expect(hooks.received[2]!.body).toBe(hooks.received[0]!.body);
    expect(hooks.received[2]!.verified).toBe(true);
  });

  it("a disabled endpoint gets nothing; a new secret signs from then on; deletion asks to confirm", async () => {
    expect((await organizer.post(`/admin/webhooks/${endpointId}?_action=webhookSetEnabled`, { id: String(endpointId) })).status).toBe(303);
    const before = count(server, "select count(*) as n from webhook_deliveries");
    await who.register("unheard@example.org", "industry");
    expect(count(server, "select count(*) as n from webhook_deliveries")).toBe(before);
    expect(
      (await organizer.post(`/admin/webhooks/${endpointId}?_action=webhookSetEnabled`, { id: String(endpointId), enabled: "on" })).status,
    ).toBe(303);

    const rotated = await organizer.post(`/fr/admin/webhooks/${endpointId}?_action=webhookRotate`, { id: String(endpointId) });
    expect(rotated.status).toBe(200);
    const html = await rotated.text();
    expect(html).toContain("il n’est montré que cette fois");
    const old = secret;
    secret = secretOf(html) ?? "";
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(old);
    const seen = hooks.received.length;
    await who.register("rotated@example.org", "industry");
    await hooks.until(seen + 2);
    expect(hooks.received.slice(seen).every((r) => r.verified)).toBe(true);

    const unconfirmed = await organizer.post(`/admin/webhooks/${endpointId}?_action=webhookDelete`, { id: String(endpointId) });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain("Tick the box to confirm the deletion.");
    expect(count(server, "select count(*) as n from webhook_endpoints")).toBe(1);
    const deleted = await organizer.post(`/admin/webhooks/${endpointId}?_action=webhookDelete`, { id: String(endpointId), confirm: "on" });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe("/admin/webhooks?done=deleted");
    expect(count(server, "select count(*) as n from webhook_endpoints")).toBe(0);
    expect(count(server, "select count(*) as n from webhook_deliveries")).toBe(0);
    const actions = serverDb(server);
    try {
      expect(
        (actions.db.prepare("select action from audit_log where action like 'webhook.%' order by id").all() as { action: string }[]).map(
          (a) => a.action,
        ),
      ).toEqual(["webhook.create", "webhook.resend", "webhook.disable", "webhook.enable", "webhook.rotate_secret", "webhook.delete"]);
    } finally {
      actions.close();
    }
  });
});

describe("webhooks on a server that does not allow private targets", () => {
  let server: TestServer;
  let accounts: ReturnType<typeof serverAccounts>;
  let organizer: Client;

  beforeAll(async () => {
    server = await startServer({ MAIL_WORKER: "off", WEBHOOK_WORKER: "off" });
    accounts = serverAccounts(server);
    organizer = await people(server, accounts).staff("strict.organizer@example.org", ["organizer"]);
  });
  afterAll(async () => {
    accounts?.close();
    await server?.stop();
  });

  it.each([
    ["https://127.0.0.1/hook", "leads to a private, local or reserved network address"],
    ["https://[::ffff:10.0.0.1]/hook", "leads to a private, local or reserved network address"],
    ["https://localhost/hook", "leads to a private, local or reserved network address"],
    ["http://hooks.example.org/hook", "The address must start with https://"],
  ])("refuses %s by the URL field, and adds nothing", async (url, message) => {
    const response = await organizer.post("/admin/webhooks?_action=webhookCreate", { url, description: "", events: ["release.published"] });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('id="f-url-error"');
    expect(html).toContain(message);
    expect(html).toContain('aria-invalid="true"');
    expect(count(server, "select count(*) as n from webhook_endpoints")).toBe(0);
  });
});
