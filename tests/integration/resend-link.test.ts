// "Resend my link" over HTTP: someone who lost the e-mail types their address on /register/link and
// gets a new private link by e-mail, in their own language, through the outbox. The page answers an
// unknown address exactly as a known one, and the requests are limited per address and per client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let data: ReturnType<typeof serverDb>;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", MANAGE_LINK_LIMIT_EMAIL: "2/3600", MANAGE_LINK_LIMIT_IP: "1000/60" });
  data = serverDb(server);
});
afterAll(async () => {
  data?.close();
  await server?.stop();
});

const RESEND = "?_action=resendManageLink";
const outboxOf = (email: string) =>
  data.db.prepare("select template, language from outbox where recipient = ? order by rowid").all(email) as {
    template: string;
    language: string;
  }[];

describe("resend my link", () => {
  it("is offered on the registration page and on an unknown link's page, in both languages", async () => {
    expect(await (await fetch(`${server.url}/register`)).text()).toContain('href="/register/link"');
    expect(await (await fetch(`${server.url}/fr/register`)).text()).toContain('href="/fr/register/link"');
    const page = await (await fetch(`${server.url}/fr/register/link`)).text();
    expect(page).toContain("Recevoir à nouveau le lien de votre inscription");
    expect(page).toContain('name="email"');
  });

  it("mails a new working link to a registered address in its language, and answers an unknown one the same way", async () => {
    const email = "zoe.resend@example.org";
    const registered = await postForm(server, "/fr/register?_action=register", registrationFields(email, "industry", { language: "fr" }));
    expect(registered.status).toBe(303);

    const known = await postForm(server, `/fr/register/link${RESEND}`, { email: email.toUpperCase() });
    const unknown = await postForm(server, `/fr/register/link${RESEND}`, { email: "nobody.resend@example.org" });
    for (const response of [known, unknown]) {
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe("/fr/register/link?sent=1");
    }
    expect(await known.text()).toBe(await unknown.text());
    const after = await (await fetch(`${server.url}/fr/register/link?sent=1`)).text();
    expect(after).toContain("Si une inscription existe pour cette adresse");

    expect(outboxOf(email)).toEqual([
      { template: "registration.confirm_address", language: "fr" },
      { template: "registration.manage_link", language: "fr" },
    ]);
    expect(outboxOf("nobody.resend@example.org")).toEqual([]);
    const token = data.linkTokenOf(email, "registration.manage_link");
    const manage = await fetch(`${server.url}/fr/register/manage/${token}`);
    expect(manage.status).toBe(200);
    expect(await manage.text()).toContain(email);
  });

  it("refuses a malformed address next to the field, and limits requests per address whether known or not", async () => {
    const bad = await postForm(server, `/register/link${RESEND}`, { email: "not an address" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/id="f-email-error"/);
    for (const email of ["limit.known@example.org", "limit.unknown@example.org"]) {
      if (email.includes("known@")) await postForm(server, "/register?_action=register", registrationFields(email));
      for (let i = 0; i < 2; i++) expect((await postForm(server, `/register/link${RESEND}`, { email })).status, email).toBe(303);
      const third = await postForm(server, `/register/link${RESEND}`, { email });
      expect(third.status, email).toBe(429);
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(outboxOf("limit.known@example.org").filter((m) => m.template === "registration.manage_link")).toHaveLength(2);
  });
});
