// The lean registration path (issue 12, decision 35): an accepted form is a bare 303 answered
// before any page renders, a refused one still renders the form with its errors, and under a burst
// of concurrent forms every 303 is exactly one registration and one outbox message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let data: ReturnType<typeof serverDb>;
let n = 0;
const uniqueEmail = (prefix = "burst") => `${prefix}.${++n}.${Date.now()}@example.org`;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60", REGISTER_LIMIT_EMAIL: "5/3600" });
  data = serverDb(server);
});
afterAll(async () => {
  data?.close();
  await server?.stop();
});

describe("an accepted registration", () => {
  it("is a 303 with no body (no page rendered), in both languages", async () => {
    for (const [path, location] of [
      ["/register?_action=register", "/register/sent"],
      ["/fr/register?_action=register", "/fr/register/sent"],
    ]) {
      const email = uniqueEmail();
      const response = await postForm(server, path, registrationFields(email));
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(location);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("content-type")).toBeNull();
      expect(await response.text()).toBe("");
      // The security headers of every answer are still there.
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(data.count("select count(*) as n from registrations where email = ?", email)).toBe(1);
      expect(data.count("select count(*) as n from outbox where recipient = ?", email)).toBe(1);
    }
  });

  it("a refused one still renders the form with the field's message and stores nothing", async () => {
    const email = uniqueEmail();
    const response = await postForm(server, "/register?_action=register", registrationFields(email, "industry", { name: "" }));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('id="f-name-error"');
    expect(html).toContain(`value="${email}"`);
    expect(data.count("select count(*) as n from registrations where email = ?", email)).toBe(0);
  });

  it("a cross-site form is refused by Astro's origin check, not run by the lean path", async () => {
    const email = uniqueEmail();
    const response = await postForm(server, "/register?_action=register", registrationFields(email), { Origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(data.count("select count(*) as n from registrations where email = ?", email)).toBe(0);
  });

  it("the same Action posted to another page runs the usual way (the page renders)", async () => {
    const email = uniqueEmail();
    const response = await postForm(server, "/register/link?_action=register", registrationFields(email));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    expect(data.count("select count(*) as n from registrations where email = ?", email)).toBe(1);
  });
});

describe("a burst of concurrent forms", () => {
  it("gives exactly one registration and one message per 303, duplicates included", async () => {
    const fresh = Array.from({ length: 60 }, () => uniqueEmail("many"));
    // Ten addresses sent twice at once: one registration each, and a second message (already registered).
    const twice = fresh.slice(0, 10);
    const forms = [...fresh, ...twice].map((email) => postForm(server, "/register?_action=register", registrationFields(email)));
    const answers = await Promise.all(forms);
    for (const answer of answers) {
      expect(answer.status).toBe(303);
      expect(answer.headers.get("location")).toBe("/register/sent");
      await answer.arrayBuffer();
    }
    const placeholders = fresh.map(() => "?").join(", ");
    expect(data.count(`select count(*) as n from registrations where email in (${placeholders})`, ...fresh)).toBe(60);
    expect(data.count(`select count(*) as n from outbox where recipient in (${placeholders})`, ...fresh)).toBe(70);
    expect(
      data.count(
        `select count(*) as n from outbox where template = 'registration.already_registered' and recipient in (${placeholders})`,
        ...fresh,
      ),
    ).toBe(10);
    // Every registration has its event and a private link, every message its registration.
    expect(
      data.count(
        `select count(*) as n from registrations r where r.email in (${placeholders})
           and exists (select 1 from registration_events e where e.registration_id = r.id and e.note = 'registered')
           and exists (select 1 from registration_tokens t where t.registration_id = r.id)`,
        ...fresh,
      ),
    ).toBe(60);
    // Each counted attempt is in the rate limit (the limits and the registration share one transaction).
    expect(data.count("select count(*) as n from rate_limits where limiter = 'register.email'")).toBeGreaterThanOrEqual(60);
  });
});
