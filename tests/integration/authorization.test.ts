// The authorization matrix: every page and export under /admin (found on disk, so a new one is
// covered without editing this file), requested by each kind of visitor. Only an organizer who has
// given the second factor gets in; the others are sent to sign in, to the second factor, or refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frenchRoutes, patternOf, routeFiles } from "../../src/web/french-routes.mjs";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { createEndpoint } from "../../src/lib/webhooks/endpoints.ts";
import { serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

/** URL paths of the routes under /admin and /fr/admin (from the route files), dynamic segments filled with `id`. */
function adminRoutes(id: number): { dynamic: boolean; path: string }[] {
  const english = routeFiles()
    .filter((file) => file.startsWith("admin/"))
    .map((file) => ({ file, pattern: patternOf(file) }));
  const french = frenchRoutes().filter((route) => route.file.startsWith("admin/"));
  return [...english, ...french].map(({ file, pattern }) => ({
    dynamic: file.includes("[") && !file.includes("registrations/"),
    path: pattern.replace(/\[[^\]]+\]/g, String(id)).replace(/\/$/, ""),
  }));
}

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let registrationId: number;
const clients: Record<string, Client> = {};
const officers: Record<string, Client> = {};

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  const who = people(server, accounts);
  registrationId = await who.register("matrix@example.org", "industry", { confirm: false });
  clients.anonymous = new Client(server);
  clients.plain = await who.signedIn("plain@example.org");
  // A confirmed attendee, signed in: sees restricted sessions of their category, nothing of /admin.
  await who.registerAndConfirm("attendee@example.org", "law-enforcement");
  clients.attendee = await who.signedIn("attendee@example.org");
  clients.reviewer = await who.staff("reviewer@example.org", ["reviewer"]);
  clients.checkin = await who.staff("checkin@example.org", ["checkin"]);
  clients.organizerWithoutSecondFactor = await who.signedIn("half@example.org", ["organizer"]);
  clients.organizer = await who.staff("organizer@example.org", ["organizer"]);
  // Staff who are also confirmed law-enforcement attendees (an organizer approved them).
  for (const [name, email, role] of [
    ["reviewerOfficer", "reviewer.officer@interieur.gouv.fr", "reviewer"],
    ["checkinOfficer", "desk.officer@interieur.gouv.fr", "checkin"],
  ] as const) {
    await who.approve(clients.organizer, await who.registerAndConfirm(email, "law-enforcement"));
    officers[name] = await who.staff(email, [role]);
  }
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

describe("authorization of the organizers' area", () => {
  it("finds the routes on disk", () => {
    const routes = adminRoutes(1).map((r) => r.path);
    expect(routes).toContain("/admin");
    expect(routes).toContain("/admin/registrations/1");
    expect(routes).toContain("/fr/admin/registrations");
  });

  it("answers every route for every kind of visitor as the guard says", async () => {
    const failures: string[] = [];
    for (const { path, dynamic } of adminRoutes(registrationId)) {
      for (const [who, client] of Object.entries(clients)) {
        const response = await client.get(path);
        await response.arrayBuffer();
        const location = response.headers.get("location") ?? "";
        // Reviewers may enter the admin home and their review pages (a proposal under this id is not theirs: 404).
        const reviewerRoute = /^(\/fr)?\/admin(\/reviews(\/[^/]+)?)?$/.test(path);
        // Check-in staff may enter the admin home and the desk, its roster, service worker and badge runs (this
        // registration is not checked in: no badge, 404).
        const checkinRoute =
          /^(\/fr)?\/admin(\/checkin(\/[^/]+\/badge|\/badges|\/desk\.json|\/desk-sw\.js|\/presence|\/presence\.json)?)?$/.test(path);
        const ok =
          who === "organizer" || (who === "reviewer" && reviewerRoute) || (who === "checkin" && checkinRoute)
            ? // A dynamic route other than a registration's (a mail preview) has nothing under this id.
              response.status === 200 || (dynamic && response.status === 404)
            : who === "anonymous"
              ? response.status === 303 && /^(\/fr)?\/signin\?next=/.test(location)
              : who === "organizerWithoutSecondFactor"
                ? response.status === 303 && /^(\/fr)?\/signin\/second-factor\?next=/.test(location)
                : response.status === 403;
        if (!ok) failures.push(`${path} as ${who}: ${response.status} ${location}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("shows an outbox message (page and frame) only to those who may read the outbox", async () => {
    const { id } = accounts.db.$client.prepare("select id from outbox order by rowid limit 1").get() as { id: string };
    const failures: string[] = [];
    for (const path of [`/admin/mail/${id}`, `/fr/admin/mail/${id}`, `/admin/mail/${id}/html`]) {
      for (const [who, client] of Object.entries(clients)) {
        const response = await client.get(path);
        await response.arrayBuffer();
        const location = response.headers.get("location") ?? "";
        const ok =
          who === "organizer"
            ? response.status === 200
            : who === "anonymous"
              ? response.status === 303 && /^(\/fr)?\/signin\?next=/.test(location)
              : who === "organizerWithoutSecondFactor"
                ? response.status === 303 && /^(\/fr)?\/signin\/second-factor\?next=/.test(location)
                : response.status === 403;
        if (!ok) failures.push(`${path} as ${who}: ${response.status} ${location}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("the private pages are never stored by caches", async () => {
    for (const { path } of adminRoutes(registrationId)) {
      const response = await clients.organizer.get(path);
      await response.arrayBuffer();
      expect(response.headers.get("cache-control"), path).toContain("no-store");
    }
  });

  it("refuses and misses in the language of the path asked for, as privately as the page", async () => {
    for (const [client, path, status, lang] of [
      [clients.reviewer, "/admin/mail", 403, "en"],
      [clients.reviewer, "/fr/admin/mail", 403, "fr"],
      [clients.organizer, "/admin/mail/999999", 404, "en"],
      [clients.organizer, "/fr/admin/mail/999999", 404, "fr"],
    ] as const) {
      const response = await client.get(path);
      const html = await response.text();
      expect(response.status, path).toBe(status);
      expect(html, path).toContain(`<html lang="${lang}"`);
      expect(response.headers.get("cache-control"), path).toContain("no-store");
      // The refusal switches to the same page in the other language; the miss, like every error page, to the other home.
      const other = status === 403 ? (lang === "en" ? `/fr${path}` : path.slice(3)) : lang === "en" ? "/fr/" : "/";
      expect(html, path).toMatch(new RegExp(`class="lang-switch" href="${other}"`));
    }
  });

  it("refuses every organizer Action to everyone else, and changes nothing", async () => {
    const actions = [
      "decideRegistrations",
      "mailRetry",
      "mailPreview",
      "mailSend",
      "mailGroupPause",
      "mailGroupResume",
      "staffInvite",
      "staffRoles",
      "staffRevoke",
      "staffRestore",
      "staffResetSecondFactor",
      "publishRelease",
      "reviewCriterionSave",
      "reviewCriterionDelete",
      "reviewSettingsSave",
      "reviewerAssign",
      "reviewerUnassign",
      "proposalsDecide",
      "decisionsRelease",
      "proposalMessage",
      "heldMailSend",
      "heldMailCancel",
      "cfpGrantLate",
      "reviewSubmit",
      "sessionCreate",
      "sessionDetails",
      "sessionSchedule",
      "sessionState",
      "roomCreate",
      "roomUpdate",
      "roomDelete",
      "roomMove",
      "trackCreate",
      "trackUpdate",
      "trackDelete",
      "trackMove",
      "formatCreate",
      "formatUpdate",
      "formatDelete",
      "speakerCreate",
      "speakerUpdate",
      "speakerDelete",
      "speakerPhoto",
      "speakerPhotoRemove",
      "checkinTicket",
      "checkinRegistration",
      "mailCertificates",
      "webhookCreate",
      "webhookUpdate",
      "webhookSetEnabled",
      "webhookRotate",
      "webhookDelete",
      "webhookResend",
    ];
    // Check-in staff may use the desk's Actions (tests/integration/checkin.test.ts): not refused here.
    const theirs: Record<string, readonly string[]> = { checkin: ["checkinTicket", "checkinRegistration"] };
    const data = serverDb(server);
    const state = () =>
      data.db
        .prepare(
          "select (select count(*) from audit_log) as audit, (select count(*) from outbox) as outbox, (select group_concat(status) from registrations) as states, (select group_concat(roles || coalesce(revoked_at, '')) from users) as users, (select count(*) from schedule_releases) as releases, (select count(*) || ':' || sum(version) from sessions) as sessions, (select group_concat(url || enabled || secret_sealed || events) from webhook_endpoints) as webhooks, (select group_concat(state || attempts) from webhook_deliveries) as deliveries",
        )
        .get();
    try {
      const { nonce } = data.db.prepare("select ticket_nonce as nonce from registrations where id = ?").get(registrationId) as {
        nonce: string;
      };
      const ticketOfRegistration = ticketSecretOf(accounts.appKey, { ticketNonce: nonce });
      // An endpoint with a failed delivery, for the webhook Actions to find (id 1, delivery 1).
      createEndpoint(
        accounts.db,
        accounts.appKey,
        { id: 1, email: "organizer@example.org" },
        {
          url: "https://93.184.216.34/hook",
          description: "",
          events: ["registration.cancelled"],
        },
      );
      data.db.prepare("insert into webhook_events (id, type, body, created_at) values ('msg_x', 'registration.cancelled', '{}', 0)").run();
      data.db
        .prepare(
          "insert into webhook_deliveries (event_id, endpoint_id, state, next_attempt_at, created_at) values ('msg_x', 1, 'failed', 0, 0)",
        )
        .run();
      const before = state();
      const failures: string[] = [];
      // Plausible input, so that only authorization stands between the request and the change.
      const fields = {
        ids: String(registrationId),
        decision: "approve",
        reason: "x",
        email: "intruder@example.org",
        roles: "organizer",
        userId: "1",
        id: "1",
        slug: "opening-keynote-anticipating-crime",
        version: "1",
        title: "Taken over",
        formatId: "1",
        language: "en",
        audience: "public",
        tlp: "CLEAR",
        day: "2013-07-02",
        start: "10:00",
        end: "10:30",
        state: "cancelled",
        ticket: ticketOfRegistration,
        key: "2b7c3f4e-8d2a-4c1b-9e5f-1a2b3c4d5e6f",
        url: "https://93.184.216.34/hook",
        events: "release.published",
        enabled: "on",
        confirm: "on",
        delivery: "1",
      };
      for (const action of actions) {
        for (const [who, client] of Object.entries(clients)) {
          if (who === "organizer" || theirs[who]?.includes(action)) continue;
          const response = await client.post(`/admin?_action=${action}`, fields);
          await response.arrayBuffer();
          const location = response.headers.get("location") ?? "";
          // decideRegistrations gets valid input: only authorization may refuse it. The others may
          // also stop at input validation (their own tests post valid input through the guard).
          const badInput = response.status === 400 && action !== "decideRegistrations";
          const refused =
            response.status === 403 || response.status === 401 || badInput || (response.status === 303 && /\/signin/.test(location));
          if (!refused) failures.push(`${action} as ${who}: ${response.status} ${location}`);
        }
      }
      expect(failures).toEqual([]);
      expect(state()).toEqual(before);
    } finally {
      data.close();
    }
  });
});

describe("what each role reads of the programme", () => {
  // A law-enforcement session whose title is not public, TLP:RED (content/programme/sessions).
  const SLUG = "le-briefing-day-2";
  const SECRET = "codenamed WREN";

  it("a law-enforcement TLP:RED session: organizers and confirmed law-enforcement attendees only, whatever the staff role", async () => {
    const readers = new Set(["organizer", "reviewerOfficer", "checkinOfficer"]);
    const failures: string[] = [];
    for (const [who, client] of Object.entries({ ...clients, ...officers })) {
      const page = await client.get(`/sessions/${SLUG}`);
      const body = await page.text();
      const json = await (await client.get("/schedule.json")).text();
      const reads = readers.has(who);
      if (page.status !== (reads ? 200 : 404)) failures.push(`/sessions/${SLUG} as ${who}: ${page.status}`);
      if (body.includes(SECRET) !== reads) failures.push(`/sessions/${SLUG} as ${who}: ${reads ? "no" : "the"} description`);
      if (json.includes(SECRET) !== reads || json.includes(SLUG) !== reads)
        failures.push(`/schedule.json as ${who}: ${reads ? "missing" : "leaks"} it`);
    }
    expect(failures).toEqual([]);
  });
});
