// The check-in desk over HTTP: who may open it and use its forms, a check-in by ticket code and by
// a row found by name (once, then "already checked in"), refusals with their reason, and the badge.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { ticketQrSvg } from "../../src/lib/registration/ticket.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
const clients: Record<string, Client> = {};
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  clients.checkin = await who.staff("desk@example.org", ["checkin"]);
  clients.organizer = await who.staff("organizer@example.org", ["organizer"]);
  clients.anonymous = new Client(server);
  await who.registerAndConfirm("someone@example.org", "industry");
  clients.attendee = await who.signedIn("someone@example.org");
  clients.reviewer = await who.staff("reviewer@example.org", ["reviewer"]);
  clients.organizerWithoutSecondFactor = await who.signedIn("half@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  count: (query: string, ...params: unknown[]) => (accounts.db.$client.prepare(query).get(...params) as { n: number }).n,
};
const ticketOf = (id: number) =>
  ticketSecretOf(
    accounts.appKey,
    sql.get<{ ticketNonce: string }>("select ticket_nonce as ticketNonce from registrations where id = ?", id),
  );
const checkedInAt = (id: number) => sql.get<{ at: number | null }>("select checked_in_at as at from registrations where id = ?", id).at;
const auditCount = () => sql.count("select count(*) as n from audit_log where action = 'registration.checkin'");

/** A confirmed (industry: no vetting) registration named `name`; its id. */
const confirmed = (email: string, overrides: Record<string, string> = {}) => who.register(email, "industry", { overrides });

describe("the check-in desk", () => {
  it("lets check-in staff and organizers in, in English and French, and links it from the admin home", async () => {
    for (const client of [clients.checkin, clients.organizer]) {
      for (const path of ["/admin/checkin", "/fr/admin/checkin"]) {
        const response = await client.get(path);
        expect(response.status, path).toBe(200);
        const html = await response.text();
        expect(html).toContain(path.startsWith("/fr") ? "Code du billet" : "Ticket code");
        expect(html).toMatch(/<script[^>]+src=/);
      }
      const home = await client.get("/admin");
      expect(home.status).toBe(200);
      expect(await home.text()).toContain('href="/admin/checkin"');
    }
    // Check-in staff see nothing else of the organizers' area.
    const home = await (await clients.checkin.get("/admin")).text();
    expect(home).not.toContain('href="/admin/registrations"');
    expect((await clients.checkin.get("/admin/registrations")).status).toBe(403);
  });

  it("refuses everyone else, and their check-ins change nothing", async () => {
    const id = await confirmed("refused@example.org", { name: "Refused Visitor" });
    const before = auditCount();
    for (const name of ["anonymous", "attendee", "reviewer", "organizerWithoutSecondFactor"]) {
      const client = clients[name];
      const page = await client.get("/admin/checkin?q=refused");
      const body = await page.text();
      if (name === "anonymous") expect(page.headers.get("location"), name).toMatch(/^\/signin\?next=/);
      else if (name === "organizerWithoutSecondFactor")
        expect(page.headers.get("location"), name).toMatch(/^\/signin\/second-factor\?next=/);
      else expect(page.status, name).toBe(403);
      expect(body).not.toContain("Refused Visitor");
      for (const [action, fields] of [
        ["checkinTicket", { ticket: ticketOf(id) }],
        ["checkinRegistration", { id: String(id) }],
      ] as const) {
        const response = await client.post(`/admin/checkin?_action=${action}`, fields);
        await response.arrayBuffer();
        expect([303, 403], `${action} as ${name}`).toContain(response.status);
        if (response.status === 303) expect(response.headers.get("location")).toMatch(/^\/signin/);
      }
      expect((await client.get(`/admin/checkin/${id}/badge`)).status, name).not.toBe(200);
    }
    expect(checkedInAt(id)).toBeNull();
    expect(auditCount()).toBe(before);
  });

  it("finds an attendee by name (accents ignored) and shows category and state, nothing personal beyond", async () => {
    const id = await confirmed("elodie.search@example.org", {
      name: "Élodie Recherche",
      organisation: "Préfecture du Rhône",
      dietary: "Sans gluten",
    });
    await who.register("pending.search@example.org", "industry", { overrides: { name: "Elodie Pending" }, confirm: false });
    const response = await clients.checkin.get("/admin/checkin?q=elodie+recherche");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Élodie Recherche");
    expect(html).toContain("Préfecture du Rhône");
    expect(html).toContain("Industry");
    expect(html).toContain("Not checked in");
    expect(html).toContain(`name="id" value="${id}"`);
    expect(html).not.toContain("Sans gluten");
    expect(html).not.toContain("elodie.search@example.org");
    expect(html).not.toContain("Elodie Pending");
    expect(await (await clients.checkin.get("/admin/checkin?q=elodie")).text()).not.toContain("Elodie Pending");
  });

  it("checks in by ticket code once, then says when it was already done; the badge prints", async () => {
    const id = await confirmed("ticket@example.org", { name: "Ada Ticket", organisation: "Ticket Org" });
    const before = auditCount();
    const first = await clients.checkin.post("/admin/checkin?_action=checkinTicket", { ticket: ` ${ticketOf(id)} ` });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe(`/admin/checkin?done=${id}`);
    const done = await (await clients.checkin.get(first.headers.get("location")!)).text();
    expect(done).toContain("Ada Ticket is checked in.");
    expect(done).toContain(`href="/admin/checkin/${id}/badge"`);
    const at = checkedInAt(id);
    expect(at).not.toBeNull();
    expect(auditCount()).toBe(before + 1);
    expect(sql.get<{ actor_email: string; subject_id: string }>("select * from audit_log order by id desc limit 1")).toMatchObject({
      actor_email: "desk@example.org",
      subject_id: String(id),
    });

    const again = await clients.organizer.post("/fr/admin/checkin?_action=checkinTicket", { ticket: ticketOf(id) });
    expect(again.status).toBe(303);
    expect(again.headers.get("location")).toBe(`/fr/admin/checkin?already=${id}`);
    const already = await (await clients.organizer.get(again.headers.get("location")!)).text();
    expect(already).toMatch(/L’arrivée de Ada Ticket était déjà enregistrée à \d\d:\d\d\./);
    expect(checkedInAt(id)).toBe(at);
    expect(auditCount()).toBe(before + 1);

    for (const [client, path] of [
      [clients.checkin, `/admin/checkin/${id}/badge`],
      [clients.organizer, `/fr/admin/checkin/${id}/badge`],
    ] as const) {
      const badge = await client.get(path);
      expect(badge.status, path).toBe(200);
      const html = await badge.text();
      expect(html).toContain('class="name-badge__name" dir="auto" data-badge-name>Ada Ticket<');
      expect(html).toContain("Ticket Org");
      expect(html).toMatch(/class="name-badge__category name-badge__category--light">[\s\S]*?<span>(Industry|Industrie)<\/span>/);
      // The ticket's own QR code, and the industry colour band.
      expect(html).toContain(await ticketQrSvg(ticketOf(id)));
      expect(html).toContain('fill="#9a3412"');
    }
  });

  it("checks in a row found by name, keeping the search", async () => {
    const id = await confirmed("row@example.org", { name: "Bob Rangée" });
    const response = await clients.checkin.post("/admin/checkin?q=rangee&_action=checkinRegistration", { id: String(id) });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/admin/checkin?q=rangee&done=${id}`);
    expect(checkedInAt(id)).not.toBeNull();
    const html = await (await clients.checkin.get(response.headers.get("location")!)).text();
    expect(html).toContain("Bob Rangée is checked in.");
    expect(html).toMatch(/Checked in at \d\d:\d\d/);
    expect(html).not.toContain(`name="id" value="${id}"`);
    const again = await clients.checkin.post("/admin/checkin?_action=checkinRegistration", { id: String(id) });
    expect(again.headers.get("location")).toBe(`/admin/checkin?already=${id}`);
  });

  it("refuses a pending or cancelled registration with its reason, and an unknown ticket, changing nothing", async () => {
    const pending = await who.register("pending@example.org", "industry", { overrides: { name: "Pat Pending" }, confirm: false });
    const cancelled = await confirmed("cancelled@example.org", { name: "Carl Cancelled" });
    accounts.db.$client.prepare("update registrations set status = 'cancelled', seat_held = 0 where id = ?").run(cancelled);
    const before = auditCount();
    const byTicket = await clients.checkin.post("/admin/checkin?_action=checkinTicket", { ticket: ticketOf(pending) });
    expect(byTicket.status).toBe(409);
    const pendingHtml = await byTicket.text();
    expect(pendingHtml).toContain("Pat Pending: Not confirmed: the attendee never confirmed their e-mail address.");
    const byId = await clients.checkin.post("/fr/admin/checkin?_action=checkinRegistration", { id: String(cancelled) });
    expect(byId.status).toBe(409);
    expect(await byId.text()).toContain("Carl Cancelled\u00a0: L’inscription a été annulée.");
    const unknown = await clients.checkin.post("/admin/checkin?_action=checkinTicket", { ticket: "not-a-ticket" });
    expect(unknown.status).toBe(404);
    const unknownHtml = await unknown.text();
    expect(unknownHtml).toContain("No registration has this ticket code.");
    // The typed code stays in the field.
    expect(unknownHtml).toContain('value="not-a-ticket"');
    const empty = await clients.checkin.post("/admin/checkin?_action=checkinTicket", { ticket: "  " });
    expect(empty.status).toBe(400);
    expect(checkedInAt(pending)).toBeNull();
    expect(checkedInAt(cancelled)).toBeNull();
    expect(auditCount()).toBe(before);
    // No badge for someone not checked in.
    expect((await clients.checkin.get(`/admin/checkin/${cancelled}/badge`)).status).toBe(404);
    expect((await clients.checkin.get(`/admin/checkin/${pending}/badge`)).status).toBe(404);
  });

  it("draws badge runs for check-in staff and organizers only, by the filter, each run in the audit log", async () => {
    const a = await confirmed("run.a@example.org", { name: "Rhea Run", organisation: "Run Org" });
    const b = await confirmed("run.b@example.org", { name: "Бора Ран", organisation: "Run Org" });
    accounts.db.$client.prepare("update registrations set checked_in_at = ? where id = ?").run(Date.parse("2013-07-03T06:45:00Z"), b);
    const runs = () => sql.count("select count(*) as n from audit_log where action = 'checkin.badges'");
    // Without the filter sent, the form only: no names, nothing logged.
    const before = runs();
    const form = await (await clients.checkin.get("/admin/checkin/badges")).text();
    expect(form).toContain('name="arrival"');
    expect(form).not.toContain("Rhea Run");
    expect(runs()).toBe(before);
    for (const [client, path] of [
      [clients.checkin, "/admin/checkin/badges?layout=a4&arrival=expected"],
      [clients.organizer, "/fr/admin/checkin/badges?layout=a4&arrival=expected"],
    ] as const) {
      const response = await client.get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control")).toContain("no-store");
      const html = await response.text();
      expect(html).toContain("Rhea Run");
      // Arrived on 3 July: not among those still expected.
      expect(html).not.toContain("Бора Ран");
      expect(html).toContain(await ticketQrSvg(ticketOf(a)));
    }
    expect(runs()).toBe(before + 2);
    const entry = sql.get<{ actor: string; after: string }>(
      "select actor_email as actor, after from audit_log where action = 'checkin.badges' order by id desc limit 1",
    );
    expect(entry.actor).toBe("organizer@example.org");
    expect(JSON.parse(entry.after)).toMatchObject({ category: "", arrival: "expected", layout: "a4", part: 1 });
    const day = await (await clients.checkin.get("/admin/checkin/badges?layout=a6&arrival=day:2013-07-03")).text();
    expect(day).toContain("Бора Ран");
    expect(day).not.toContain("Rhea Run");
    // Everyone else: refused, no name shown, nothing logged.
    const logged = runs();
    for (const name of ["anonymous", "attendee", "reviewer", "organizerWithoutSecondFactor"]) {
      const response = await clients[name].get("/admin/checkin/badges?layout=a6");
      expect(response.status, name).toBe(name === "anonymous" || name === "organizerWithoutSecondFactor" ? 303 : 403);
      expect(await response.text()).not.toContain("Rhea Run");
    }
    expect(runs()).toBe(logged);
  });
});
