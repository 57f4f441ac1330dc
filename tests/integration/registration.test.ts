// Registration over HTTP against the built server with a fresh database: validation of every field,
// duplicates, honeypot, rate limits, the private link, and the last seats under concurrency.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { httpRequest, startServer, type TestServer } from "../helpers/server.ts";

const REGISTER = "/register?_action=register";
let server: TestServer;
let data: ReturnType<typeof serverDb>;
let n = 0;
/** How the error summary names the fields of these cases. */
const SUMMARY_NAMES: Record<string, string> = {
  name: "Full name",
  email: "E-mail address",
  organisation: "Organisation",
  country: "Country",
  language: "Language of our messages",
  company: "Company",
  role: "Role",
  dietary: "Dietary requirements",
  accessibility: "Accessibility needs",
  privacyConsent: "Privacy notice",
};
const uniqueEmail = (prefix = "person") => `${prefix}.${++n}.${Date.now()}@example.org`;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60", REGISTER_LIMIT_EMAIL: "2/3600" });
  data = serverDb(server);
});
afterAll(async () => {
  data?.close();
  await server?.stop();
});

const registrations = () => data.count("select count(*) as n from registrations");
const messages = () => data.count("select count(*) as n from outbox");

/** The error shown next to `field` in a rendered form. */
function fieldError(html: string, field: string): string | undefined {
  return new RegExp(`id="f-${field}-error">([^<]*)<`).exec(html)?.[1];
}

describe("a valid registration", () => {
  it("is stored pending e-mail confirmation, the message is queued, and the browser is redirected", async () => {
    const email = uniqueEmail();
    const response = await postForm(server, REGISTER, registrationFields(email.toUpperCase()));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/register/sent");
    const row = data.db.prepare("select * from registrations where email = ?").get(email) as Record<string, unknown>;
    expect(row).toMatchObject({ status: "pending_email", category: "industry", company: "Example SA", list_consent: 0 });
    expect(data.db.prepare("select template, language, state from outbox where recipient = ?").all(email)).toEqual([
      { template: "registration.confirm_address", language: "en", state: "pending" },
    ]);
    const sent = await fetch(server.url + "/register/sent");
    expect(sent.status).toBe(200);
    expect(await sent.text()).toContain("Check your inbox");
  });

  it("shows the category step first, and the category's own fields after", async () => {
    const step = await (await fetch(server.url + "/register")).text();
    expect(step).toContain('name="category"');
    expect(step).not.toContain('name="email"');
    const form = await (await fetch(server.url + "/register?category=law-enforcement")).text();
    for (const field of [
      "name",
      "email",
      "organisation",
      "country",
      "agency",
      "position",
      "officialEmail",
      "privacyConsent",
      "listConsent",
    ]) {
      expect(form).toContain(`name="${field}"`);
    }
    expect(form).not.toContain('name="company"');
    // Consent to the participant list is off by default.
    expect(/<input[^>]*name="listConsent"[^>]*>/.exec(form)![0]).not.toContain("checked");
  });
});

describe("invalid input gets a 4xx with the field's message, keeps what was typed, and stores nothing", () => {
  const cases: [string, Record<string, string | string[]>, string, string][] = [
    ["missing name", { name: "" }, "name", "This field is required."],
    ["missing e-mail", { email: "" }, "email", "This field is required."],
    ["missing organisation", { organisation: "" }, "organisation", "This field is required."],
    ["missing country", { country: "" }, "country", "This field is required."],
    ["missing language", { language: "" }, "language", "This field is required."],
    ["missing company (category field)", { company: "" }, "company", "This field is required."],
    ["missing role (category field)", { role: "" }, "role", "This field is required."],
    ["no privacy consent", { privacyConsent: "" }, "privacyConsent", "You must accept the privacy notice to register."],
    ["name too long", { name: "x".repeat(201) }, "name", "Use at most 200 characters."],
    ["organisation too long", { organisation: "x".repeat(201) }, "organisation", "Use at most 200 characters."],
    ["company too long", { company: "x".repeat(201) }, "company", "Use at most 200 characters."],
    ["dietary too long", { dietary: "x".repeat(1001) }, "dietary", "Use at most 1000 characters."],
    ["accessibility too long", { accessibility: "x".repeat(1001) }, "accessibility", "Use at most 1000 characters."],
    ["e-mail too long", { email: `${"a".repeat(250)}@example.org` }, "email", "Use at most 254 characters."],
    ["malformed e-mail", { email: "ada@@example" }, "email", "Enter an e-mail address like name@example.org."],
    ["e-mail without domain", { email: "ada" }, "email", "Enter an e-mail address like name@example.org."],
    ["unknown country", { country: "QQ" }, "country", "Choose a country from the list."],
    ["wrong type of country", { country: "12" }, "country", "Choose a country from the list."],
    ["unknown language", { language: "de" }, "language", "Choose English or French."],
    ["control character in name", { name: "Ada\u0007" }, "name", "Remove the control characters from this field."],
    ["bidi override in organisation", { organisation: "Evil\u202eCorp" }, "organisation", "Remove the control characters from this field."],
    ["NUL in role", { role: "CI\u0000SO" }, "role", "Remove the control characters from this field."],
    ["consent with a strange value", { privacyConsent: "maybe" }, "privacyConsent", "You must accept the privacy notice to register."],
  ];

  for (const [label, overrides, field, message] of cases) {
    it(label, async () => {
      const before = [registrations(), messages()];
      const response = await postForm(server, REGISTER, registrationFields(uniqueEmail(), "industry", overrides as Record<string, string>));
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(fieldError(html, field)).toBe(message);
      expect(html).toContain('aria-invalid="true"');
      // The summary first in the page, named after its field, and the page's title says so.
      expect(html).toContain('<h2 id="error-summary-title">There is a problem</h2>');
      expect(html).toContain(`<a href="#f-${field}">${SUMMARY_NAMES[field]}: ${message.charAt(0).toLowerCase()}${message.slice(1)}</a>`);
      expect(html).toMatch(/<title>Error: Register · /);
      // Without JavaScript too, the summary is the first thing in the main content.
      expect(html).toMatch(/<main id="main" tabindex="-1"><div class="error-summary" role="alert"/);
      // What was typed stays in the form (a sample field that was valid).
      expect(html).toContain('value="Example Org"'.replace("Example Org", field === "organisation" ? "Example SA" : "Example Org"));
      expect([registrations(), messages()]).toEqual(before);
    });
  }

  it("another category's field is refused", async () => {
    const response = await postForm(server, REGISTER, registrationFields(uniqueEmail(), "industry", { agency: "Gendarmerie" }));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Agency or service: this field does not apply to the chosen category.");
  });

  it("an unknown category is refused", async () => {
    const response = await postForm(server, REGISTER, registrationFields(uniqueEmail(), "industry", { category: "astronaut" }));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Category: choose one of the categories offered.");
  });

  it("a repeated field (an array instead of a string) is handled", async () => {
    const before = registrations();
    const fields = registrationFields(uniqueEmail(), "industry");
    const response = await postForm(server, REGISTER, { ...fields, name: ["", "Second"] });
    expect(response.status).toBe(400);
    expect(registrations()).toBe(before);
  });

  it("a huge body gets 413, not a 500", async () => {
    const before = [registrations(), messages()];
    const response = await postForm(server, REGISTER, registrationFields(uniqueEmail(), "industry", { dietary: "x".repeat(200_000) }));
    expect(response.status).toBe(413);
    expect(await response.text()).toContain("This submission is too large.");
    expect([registrations(), messages()]).toEqual(before);
  });

  it("JSON instead of a form is refused", async () => {
    const response = await fetch(server.url + REGISTER, {
      method: "POST",
      headers: { Origin: server.url, "Content-Type": "application/json" },
      body: JSON.stringify(registrationFields(uniqueEmail())),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("malformed JSON, plain text or no content type to any action is a 415, not a 500", async () => {
    for (const path of [REGISTER, "/_actions/register", "/register/manage/x?_action=cancelRegistration"]) {
      for (const [type, body] of [
        ["application/json", "{bad"],
        ["text/plain", "name=x"],
        ["", "name=x"],
      ]) {
        const headers: Record<string, string> = { Origin: server.url };
        if (type) headers["Content-Type"] = type;
        const response = await fetch(server.url + path, { method: "POST", headers, body });
        expect(response.status, `${path} with ${type || "no type"}`).toBe(415);
      }
    }
  });

  it("a category named like a built-in property is refused, not a 500", async () => {
    for (const category of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const response = await postForm(server, REGISTER, registrationFields(uniqueEmail(), "industry", { category }));
      expect(response.status, category).toBe(400);
      expect(await response.text()).toContain("Category: choose one of the categories offered.");
    }
  });

  it("a cross-site POST is refused", async () => {
    const before = registrations();
    const response = await postForm(server, REGISTER, registrationFields(uniqueEmail()), { Origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(registrations()).toBe(before);
  });

  it("in French, the messages are French", async () => {
    const response = await postForm(
      server,
      "/fr/register?_action=register",
      registrationFields(uniqueEmail(), "industry", { name: "", email: "x" }),
    );
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(fieldError(html, "name")).toBe("Ce champ est obligatoire.");
    expect(fieldError(html, "email")).toBe("Saisissez une adresse e-mail comme nom@exemple.fr.");
    expect(html).toContain('lang="fr"');
  });
});

describe("abuse", () => {
  it("a filled honeypot is refused with a clear message and nothing stored", async () => {
    const before = [registrations(), messages()];
    const response = await postForm(server, REGISTER, registrationFields(uniqueEmail(), "industry", { website: "http://spam.example" }));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Your submission looks automated");
    expect([registrations(), messages()]).toEqual(before);
  });

  it("registering again with the same address creates no duplicate and answers the same", async () => {
    const email = uniqueEmail("dup");
    const first = await postForm(server, REGISTER, registrationFields(email));
    const second = await postForm(server, REGISTER, registrationFields(email, "researcher", { name: "Someone Else" }));
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(data.count("select count(*) as n from registrations where email = ?", email)).toBe(1);
    expect(data.db.prepare("select template from outbox where recipient = ? order by rowid").all(email)).toEqual([
      { template: "registration.confirm_address" },
      { template: "registration.already_registered" },
    ]);
    expect(data.db.prepare("select name, category from registrations where email = ?").get(email)).toEqual({
      name: "Ada Example",
      category: "industry",
    });
  });

  it("too many submissions for one address get 429 with Retry-After", async () => {
    const email = uniqueEmail("limited");
    await postForm(server, REGISTER, registrationFields(email));
    await postForm(server, REGISTER, registrationFields(email));
    const before = messages();
    const response = await postForm(server, REGISTER, registrationFields(email));
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await response.text()).toContain("Too many attempts.");
    expect(messages()).toBe(before);
  });

  it("too many submissions from one address (IP) get 429", async () => {
    const limited = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "3/600" });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await postForm(limited, REGISTER, registrationFields(uniqueEmail("ip")))).status);
      expect(statuses).toEqual([303, 303, 303, 429]);
      // Invalid submissions do not count, so a person correcting mistakes is never locked out early.
      const other = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "1/600" });
      try {
        for (let i = 0; i < 3; i++)
          expect((await postForm(other, REGISTER, registrationFields(uniqueEmail(), "industry", { name: "" }))).status).toBe(400);
        expect((await postForm(other, REGISTER, registrationFields(uniqueEmail()))).status).toBe(303);
      } finally {
        await other.stop();
      }
    } finally {
      await limited.stop();
    }
  });
});

describe("the private link", () => {
  it("confirms the address, edits with validation, refuses stale edits, cancels with a confirmation step", async () => {
    const email = uniqueEmail("manage");
    expect((await postForm(server, REGISTER, registrationFields(email))).status).toBe(303);
    const token = data.linkTokenOf(email);
    const page = `/register/manage/${token}`;

    const pending = await fetch(server.url + page);
    expect(pending.status).toBe(200);
    expect(pending.headers.get("cache-control")).toBe("no-store");
    expect(pending.headers.get("referrer-policy")).toBe("strict-origin");
    expect(await pending.text()).toContain("Waiting for you to confirm your e-mail address");

    const confirmed = await postForm(server, `${page}?_action=confirmRegistration`, { token });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe(`${page}?done=confirmed`);
    const html = await (await fetch(server.url + page + "?done=confirmed")).text();
    expect(html).toContain("Thank you: your address is confirmed.");
    expect(html).toContain("<svg");
    expect(data.db.prepare("select status, seat_held from registrations where email = ?").get(email)).toEqual({
      status: "confirmed",
      seat_held: 1,
    });

    const ticket = await fetch(server.url + page + "/ticket.png");
    expect(ticket.status).toBe(200);
    expect(ticket.headers.get("content-type")).toBe("image/png");
    expect(
      Buffer.from(await ticket.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
    const pdf = await fetch(server.url + page + "/ticket.pdf?lang=fr");
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("cache-control")).toBe("no-store");
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe("%PDF-");
    // The page shows the ticket's readable code, which the desk also finds.
    const hash = (data.db.prepare("select ticket_hash as hash from registrations where email = ?").get(email) as { hash: string }).hash;
    expect(html).toContain(
      hash
        .slice(0, 12)
        .toUpperCase()
        .replace(/(.{4})(?=.)/g, "$1-"),
    );
    const ics = await fetch(server.url + page + "/forum.ics");
    expect(ics.status).toBe(200);
    expect(await ics.text()).toContain("BEGIN:VEVENT");
    const personal = await (await fetch(server.url + page + "/data.json")).json();
    expect(personal.registration.email).toBe(email);

    const version = (data.db.prepare("select version from registrations where email = ?").get(email) as { version: number }).version;
    const edit = {
      token,
      version: String(version),
      category: "industry",
      name: "Ada Example",
      organisation: "Example Org",
      country: "FR",
      language: "fr",
      company: "Example SA",
      role: "CISO",
    };
    const invalid = await postForm(server, `${page}?_action=updateRegistration`, { ...edit, name: "", dietary: "x".repeat(1001) });
    expect(invalid.status).toBe(400);
    const invalidHtml = await invalid.text();
    expect(fieldError(invalidHtml, "name")).toBe("This field is required.");
    expect(fieldError(invalidHtml, "dietary")).toBe("Use at most 1000 characters.");
    expect(data.db.prepare("select name, language from registrations where email = ?").get(email)).toEqual({
      name: "Ada Example",
      language: "en",
    });

    const saved = await postForm(server, `${page}?_action=updateRegistration`, { ...edit, dietary: "Vegetarian" });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`${page}?done=updated`);
    expect(data.db.prepare("select dietary, language, status from registrations where email = ?").get(email)).toEqual({
      dietary: "Vegetarian",
      language: "fr",
      status: "confirmed",
    });

    const stale = await postForm(server, `${page}?_action=updateRegistration`, { ...edit, dietary: "Vegan" });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain("Your registration was changed elsewhere");
    expect(data.db.prepare("select dietary from registrations where email = ?").get(email)).toEqual({ dietary: "Vegetarian" });

    const step = await (await fetch(server.url + page + "?cancel=1")).text();
    expect(step).toContain("Cancel your registration?");
    const cancelled = await postForm(server, `${page}?_action=cancelRegistration`, { token });
    expect(cancelled.status).toBe(303);
    expect(data.db.prepare("select status, seat_held from registrations where email = ?").get(email)).toEqual({
      status: "cancelled",
      seat_held: 0,
    });
    expect((await fetch(server.url + page + "/ticket.png")).status).toBe(404);
    expect((await fetch(server.url + page + "/ticket.pdf")).status).toBe(404);
    expect(
      data.db
        .prepare("select template from outbox where recipient = ? order by rowid")
        .all(email)
        .map((r) => (r as { template: string }).template),
    ).toEqual(["registration.confirm_address", "registration.confirmed", "registration.cancelled"]);
  });

  it("erasure deletes everything held, after a confirmation step, and the link stops working", async () => {
    const email = uniqueEmail("erase");
    expect((await postForm(server, REGISTER, registrationFields(email))).status).toBe(303);
    const token = data.linkTokenOf(email);
    const page = `/register/manage/${token}`;
    const step = await (await fetch(server.url + page + "?erase=1")).text();
    expect(step).toContain("Erase all your data?");
    const id = (data.db.prepare("select id from registrations where email = ?").get(email) as { id: number }).id;
    const erased = await postForm(server, `/fr${page}?_action=eraseRegistration`, { token });
    expect(erased.status).toBe(303);
    expect(erased.headers.get("location")).toBe("/fr/register/erased");
    expect(await (await fetch(server.url + "/fr/register/erased")).text()).toContain("Vos données ont été effacées");
    expect(data.count("select count(*) as n from registrations where email = ?", email)).toBe(0);
    expect(data.count("select count(*) as n from registration_events where registration_id = ?", id)).toBe(0);
    expect(data.count("select count(*) as n from outbox where recipient = ?", email)).toBe(0);
    expect((await fetch(server.url + page)).status).toBe(404);
  });

  it("an unknown or malformed link is a 404 that reveals nothing", async () => {
    for (const token of ["A".repeat(43), "nope", "%3Cscript%3E"]) {
      const response = await fetch(`${server.url}/register/manage/${token}`);
      expect(response.status).toBe(404);
      const html = await response.text();
      expect(html).toContain("This link is not valid.");
      expect(html).not.toContain("<script>");
    }
    expect((await fetch(`${server.url}/register/manage/${"A".repeat(43)}/data.json`)).status).toBe(404);
    const forged = await postForm(server, `/register/manage/x?_action=cancelRegistration`, { token: "A".repeat(43) });
    expect(forged.status).toBe(404);
  });
});

describe("the local mailbox page", () => {
  it("lists the messages to this machine when asked for, outside production, and to nobody else", async () => {
    // The shared test server runs with NODE_ENV=production.
    expect((await fetch(server.url + "/dev/mailbox")).status).toBe(404);
    const dev = await startServer({ NODE_ENV: "", MAILBOX_PAGE: "on", MAIL_POLL_MS: "50" });
    try {
      const email = uniqueEmail("mailbox");
      expect((await postForm(dev, REGISTER, registrationFields(email))).status).toBe(303);
      let list = "";
      for (let i = 0; i < 100 && !list.includes(email); i++) {
        await new Promise((r) => setTimeout(r, 50));
        list = await (await fetch(dev.url + "/dev/mailbox")).text();
      }
      expect(list).toContain(email);
      const href = /href="(\/dev\/mailbox\/[^"]+\.eml)"/.exec(list)![1];
      const message = await (await fetch(dev.url + href)).text();
      expect(message).toMatch(/\/register\/manage\/[A-Za-z0-9_-]{43}/);
      expect((await fetch(dev.url + "/dev/mailbox/..%2F..%2Fforum.db")).status).toBe(404);
      // Through a reverse proxy, even on this machine: not shown.
      expect((await fetch(dev.url + "/dev/mailbox", { headers: { "X-Forwarded-For": "198.51.100.7" } })).status).toBe(404);
      expect((await fetch(dev.url + href, { headers: { Forwarded: "for=198.51.100.7" } })).status).toBe(404);
      // A proxy passing the public name, or a page that rebinds its own name to 127.0.0.1: not shown.
      expect((await httpRequest(dev.url + "/dev/mailbox", { headers: { Host: "forum.example.org" } })).status).toBe(404);
      expect((await httpRequest(dev.url + "/dev/mailbox", { headers: { Host: `localhost:${dev.port}` } })).status).toBe(200);
    } finally {
      await dev.stop();
    }
  });

  // Server starts take long on a loaded machine: three of them get more than the default 30 s.
  it("is off unless asked for, and never where a proxy is configured", { timeout: 120_000 }, async () => {
    // Off unless asked for (README: MAILBOX_PAGE defaults to off), and never to a peer TRUST_PROXY
    // names as a proxy (here every loopback visitor is one). Every other combination (production,
    // a Resend key, the Host) is unit-tested in src/web/mailbox-page.test.ts.
    const cases: Record<string, string>[] = [{}, { MAILBOX_PAGE: "yes" }, { MAILBOX_PAGE: "on", TRUST_PROXY: "loopback" }];
    // One database for all (seeded once): only the environment differs.
    const first = await startServer({ NODE_ENV: "", ...cases[0] });
    const others = await Promise.allSettled(
      cases.slice(1).map((env) => startServer({ NODE_ENV: "", DATABASE_PATH: first.databasePath, ...env })),
    );
    const started = others.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    try {
      for (const o of others) if (o.status === "rejected") throw o.reason;
      const servers = [first, ...started];
      for (const [i, env] of cases.entries()) expect((await fetch(servers[i].url + "/dev/mailbox")).status, JSON.stringify(env)).toBe(404);
      expect(servers[1].output()).toContain("MAILBOX_PAGE=yes is neither on nor off: the mailbox page stays off.");
    } finally {
      // Every server that started is stopped; the first owns the database's directory: it goes last.
      await Promise.all(started.map((s) => s.stop()));
      await first.stop();
    }
  });
});

describe("the last seats", () => {
  let contentDir: string;
  let first: TestServer;
  let second: TestServer;

  beforeAll(async () => {
    contentDir = mkdtempSync(join(tmpdir(), "forum-content-"));
    cpSync("content", contentDir, { recursive: true });
    const editionFile = join(contentDir, "edition.yaml");
    const edition = parse(readFileSync(editionFile, "utf8"));
    edition.registration.categories.find((c: { id: string }) => c.id === "industry").capacity = 15;
    writeFileSync(editionFile, stringify(edition));
    const env = { CONTENT_DIR: contentDir, MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" };
    first = await startServer(env);
    // A second server process on the same database: seats must hold across processes too.
    second = await startServer({ ...env, DATABASE_PATH: first.databasePath });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    rmSync(contentDir, { recursive: true, force: true });
  });

  it("100 confirmations at once for 10 remaining seats give exactly 10 confirmed and 90 waitlisted", async () => {
    const seats = serverDb(first);
    try {
      const register = async (email: string) => expect((await postForm(first, REGISTER, registrationFields(email))).status).toBe(303);
      const confirm = (target: TestServer, token: string) =>
        postForm(target, `/register/manage/${token}?_action=confirmRegistration`, { token });
      // 5 of the 15 seats are taken.
      for (let i = 0; i < 5; i++) {
        const email = `early.${i}@example.org`;
        await register(email);
        expect((await confirm(first, seats.linkTokenOf(email))).status).toBe(303);
      }
      const emails = Array.from({ length: 100 }, (_, i) => `rush.${i}@example.org`);
      for (const email of emails) await register(email);
      const tokens = emails.map((email) => seats.linkTokenOf(email));

      const responses = await Promise.all(tokens.map((token, i) => confirm(i % 2 ? second : first, token)));
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(303));

      const states = seats.db
        .prepare("select status, count(*) as n from registrations where email like 'rush.%' group by status order by status")
        .all();
      expect(states).toEqual([
        { status: "confirmed", n: 10 },
        { status: "waitlisted", n: 90 },
      ]);
      expect(seats.count("select count(*) as n from registrations where seat_held = 1 and category = 'industry'")).toBe(15);
      expect(seats.count("select count(*) as n from outbox where template = 'registration.confirmed' and recipient like 'rush.%'")).toBe(
        10,
      );
      expect(seats.count("select count(*) as n from outbox where template = 'registration.waitlisted'")).toBe(90);
    } finally {
      seats.close();
    }
  });
});
