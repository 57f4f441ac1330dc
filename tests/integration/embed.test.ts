// The embeddable schedule (issue 15, decision 43) against the real server: /embed/schedule.json is
// the anonymous public's schedule whoever asks (an organizer's or an approved law-enforcement
// attendee's cookies change nothing in it, while their own /schedule.json holds more); it and the
// script are the only answers other origins may read; both are stored by the response cache; the
// organizers' page shows the snippet to copy, in both languages, to organizers only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSessions } from "../helpers/content.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let anonymous: Client;
const signedIn: Record<string, Client> = {};

/** Phrases only a law-enforcement attendee or an organizer may read, and a session the public may not even name. */
const LE_ABSTRACT = "acquisition kit used by their units";
const HIDDEN_SLUG = "le-briefing-day-2";
const HIDDEN_PHRASE = "codenamed WREN";

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" });
  accounts = serverAccounts(server);
  const who = people(server, accounts);
  anonymous = new Client(server);
  signedIn.organizer = await who.staff("embed.organizer@example.org", ["organizer"]);
  await who.registerAndConfirm("embed.industry@example.org", "industry");
  signedIn.industry = await who.signedIn("embed.industry@example.org");
  const police = await who.registerAndConfirm("embed.inspector@interieur.gouv.fr", "law-enforcement");
  await who.approve(signedIn.organizer, police);
  signedIn.inspector = await who.signedIn("embed.inspector@interieur.gouv.fr");
  signedIn.checkin = await who.staff("embed.desk@example.org", ["checkin"]);
}, 120_000);
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

type Schedule = { schedule: { conference: { title: string; days: { rooms: Record<string, { slug: string; abstract: string }[]> }[] } } };
const events = (body: string) =>
  (JSON.parse(body) as Schedule).schedule.conference.days.flatMap((d) => Object.values(d.rooms).flat()).map((e) => e.slug);

describe("the embeddable schedule's JSON", () => {
  it("is the anonymous public's schedule for everyone, whatever the cookies sent with it", async () => {
    const publicAnswer = await anonymous.get("/schedule.json");
    const publicBody = await publicAnswer.text();
    const embedded = await anonymous.get("/embed/schedule.json");
    expect(embedded.status).toBe(200);
    expect(embedded.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = await embedded.text();
    // The same document the public reads at /schedule.json.
    expect(body).toBe(publicBody);
    expect(body).not.toContain(LE_ABSTRACT);
    expect(body).not.toContain(HIDDEN_PHRASE);
    expect(body).not.toContain(HIDDEN_SLUG);
    for (const [name, client] of Object.entries(signedIn)) {
      const own = await (await client.get("/schedule.json")).text();
      const response = await client.get("/embed/schedule.json");
      expect(response.status, name).toBe(200);
      expect(await response.text(), `${name}: /embed/schedule.json`).toBe(body);
      // Signed in, it is still never kept by a shared cache.
      expect(response.headers.get("cache-control"), name).toMatch(/\bprivate\b/);
      if (name === "organizer" || name === "inspector") {
        // Their own schedule holds what the public may not read: the embedded one left it out.
        expect(own, name).toContain(LE_ABSTRACT);
        expect(own, name).toContain(HIDDEN_SLUG);
        expect(events(own).length, name).toBeGreaterThan(events(body).length);
      }
    }
  });

  it("is in French under /fr", async () => {
    const fr = await anonymous.get("/fr/embed/schedule.json");
    expect(fr.status).toBe(200);
    const body = await fr.text();
    expect(body).toBe(await (await anonymous.get("/fr/schedule.json")).text());
    const listed = contentSessions().filter((s) => s.slug !== HIDDEN_SLUG);
    expect(events(body).length).toBeGreaterThan(0);
    expect(events(body).every((slug) => listed.some((s) => slug.endsWith(`-${s.slug}`)))).toBe(true);
    expect((JSON.parse(body) as Schedule).schedule.conference.title).not.toBe(
      (JSON.parse(await (await anonymous.get("/embed/schedule.json")).text()) as Schedule).schedule.conference.title,
    );
  });

  it("is readable by any origin, without credentials; the site's other answers are not", async () => {
    const response = await fetch(`${server.url}/embed/schedule.json`, { headers: { Origin: "http://partner.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const script = await fetch(`${server.url}/embed/schedule.js`, { headers: { Origin: "http://partner.example" } });
    expect(script.headers.get("access-control-allow-origin")).toBe("*");
    for (const path of [
      "/schedule.json",
      "/fr/schedule.json",
      "/schedule.ics",
      "/schedule.xml",
      "/",
      "/programme",
      "/register",
      "/admin",
    ]) {
      const other = await fetch(`${server.url}${path}`, { headers: { Origin: "http://partner.example" }, redirect: "manual" });
      expect(other.headers.get("access-control-allow-origin"), path).toBeNull();
    }
  });

  it("is stored by the response cache and revalidated with its CORS header", async () => {
    await fetch(`${server.url}/embed/schedule.json`);
    const warm = await fetch(`${server.url}/embed/schedule.json`);
    expect(warm.headers.get("x-cache")).toBe("hit");
    expect(warm.headers.get("cache-control")).toMatch(/^public, /);
    const etag = warm.headers.get("etag")!;
    const again = await fetch(`${server.url}/embed/schedule.json`, { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("access-control-allow-origin")).toBe("*");
    // A signed-in request is rendered, never answered from (nor stored in) the cache.
    const organizer = await signedIn.organizer.get("/embed/schedule.json");
    expect(organizer.headers.get("x-cache")).toBeNull();
  });
});

describe("the embeddable schedule's script", () => {
  it("is one file with the words of both languages, and has no French twin", async () => {
    const response = await anonymous.get("/embed/schedule.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const body = await response.text();
    expect(body).toContain('customElements.define("forum-schedule"');
    expect(body).not.toContain("__WORDS__");
    expect(body).toContain('"allTracks":"All tracks"');
    expect(body).toContain('"allTracks":"Toutes les thématiques"');
    expect(body).toContain("/embed/schedule.json");
    expect((await anonymous.get("/fr/embed/schedule.js")).status).toBe(404);
    await fetch(`${server.url}/embed/schedule.js`);
    expect((await fetch(`${server.url}/embed/schedule.js`)).headers.get("x-cache")).toBe("hit");
  });
});

describe("the organizers' embed page", () => {
  it("shows the snippet to copy, in the page's language, to organizers only", async () => {
    const en = await signedIn.organizer.get("/admin/programme/embed");
    expect(en.status).toBe(200);
    expect(en.headers.get("cache-control")).toContain("no-store");
    const page = await en.text();
    expect(page).toContain(`&lt;forum-schedule lang=&quot;en&quot;&gt;`);
    expect(page).toContain(`&lt;script src=&quot;${server.url}/embed/schedule.js&quot; async&gt;&lt;/script&gt;`);
    expect(page).toContain(`&lt;a href=&quot;${server.url}/programme&quot;&gt;Programme&lt;/a&gt;`);
    // The preview runs the same script, from a file (no inline script under the site's CSP).
    expect(page).toContain('<script src="/embed/schedule.js" async></script>');
    const fr = await (await signedIn.organizer.get("/fr/admin/programme/embed")).text();
    expect(fr).toContain(`&lt;forum-schedule lang=&quot;fr&quot;&gt;`);
    expect(fr).toContain(`${server.url}/fr/programme`);
    expect(fr).toContain("Le programme sur d’autres sites");
    // The programme page leads to it.
    expect(await (await signedIn.organizer.get("/admin/programme")).text()).toContain('href="/admin/programme/embed"');
    expect((await signedIn.checkin.get("/admin/programme/embed")).status).toBe(403);
    const visitor = await anonymous.get("/admin/programme/embed");
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toMatch(/^\/signin\?next=%2Fadmin%2Fprogramme%2Fembed/);
  });
});
