// The desks' endpoint (decision 31) over HTTP: the day's roster, scans with their nonces from several
// desks at once (one check-in, the others "already"), replays that change nothing, bad input from a
// broken scanner, and who may use it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
const desks: Client[] = [];
let attendee: Client;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  for (const email of ["desk1@example.org", "desk2@example.org", "desk3@example.org", "desk4@example.org"])
    desks.push(await who.staff(email, ["checkin"]));
  await who.registerAndConfirm("plain.attendee@example.org", "industry");
  attendee = await who.signedIn("plain.attendee@example.org");
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
let counter = 0;
const nonce = () => `test-nonce-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 10)}`;

interface Answer {
  nonce: string;
  outcome: string;
  reason?: string;
  replayed: boolean;
  attendee?: { id: number; name: string; desk: string | null; checkedInAt: number | null; category: string; organisation: string };
}

function post(client: Client, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/admin/checkin/desk.json`, {
    method: "POST",
    headers: { Cookie: client.cookieHeader, Origin: server.url, "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
  });
}
async function scan(client: Client, code: string, desk: string, n = nonce(), at = Date.now()): Promise<Answer> {
  const response = await post(client, { scans: [{ nonce: n, code, at, desk }] });
  expect(response.status).toBe(200);
  return ((await response.json()) as { answers: Answer[] }).answers[0];
}
const admissions = (id: number) =>
  sql.count("select count(*) as n from checkin_scans where registration_id = ? and outcome = 'admitted'", id);
const audits = (action: string) => sql.count("select count(*) as n from audit_log where action = ?", action);

describe("the desks' endpoint", () => {
  it("gives the day's roster without personal fields beyond the desk's, and what changed since", async () => {
    const id = await who.register("roster@example.org", "industry", {
      overrides: { name: "Rosa Roster", organisation: "Roster Org", dietary: "Sans noix" },
    });
    const response = await desks[0].get("/admin/checkin/desk.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("no-store");
    const roster = (await response.json()) as {
      now: number;
      full: boolean;
      attendees: Record<string, unknown>[];
      counts: { in: number; expected: number };
    };
    expect(roster.full).toBe(true);
    const rosa = roster.attendees.find((a) => a.id === id)!;
    expect(rosa).toMatchObject({
      name: "Rosa Roster",
      organisation: "Roster Org",
      category: "industry",
      state: "confirmed",
      checkedInAt: null,
    });
    expect(Object.keys(rosa).sort()).toEqual(["category", "checkedInAt", "desk", "hash", "id", "name", "organisation", "state"]);
    const text = JSON.stringify(roster);
    expect(text).not.toContain("Sans noix");
    expect(text).not.toContain("roster@example.org");
    expect(text).not.toContain(ticketOf(id));
    await scan(desks[1], ticketOf(id), "2");
    const since = (await (await desks[0].get(`/admin/checkin/desk.json?since=${roster.now}`)).json()) as typeof roster;
    expect(since.full).toBe(false);
    expect(since.attendees.map((a) => [a.name, a.desk])).toEqual([["Rosa Roster", "2"]]);
    expect(since.counts.in).toBe(roster.counts.in + 1);
  });

  it("checks a ticket in once when four desks scan it in the same instant; the others say already, with the first desk", async () => {
    for (let round = 0; round < 3; round++) {
      const id = await who.register(`race${round}@example.org`, "industry", { overrides: { name: `Race ${round}` } });
      const code = ticketOf(id);
      const answers = await Promise.all(desks.flatMap((desk, i) => [scan(desk, code, `D${i + 1}`), scan(desk, code, `D${i + 1}`)]));
      const admitted = answers.filter((a) => a.outcome === "admitted");
      expect(admitted, `round ${round}`).toHaveLength(1);
      expect(answers.filter((a) => a.outcome === "already")).toHaveLength(7);
      const firstDesk = admitted[0].attendee!.desk;
      for (const a of answers) expect(a.attendee).toMatchObject({ id, desk: firstDesk, name: `Race ${round}` });
      expect(admissions(id)).toBe(1);
      expect(sql.count("select count(*) as n from audit_log where action = 'registration.checkin' and subject_id = ?", String(id))).toBe(1);
    }
  });

  it("answers a request sent again (the same nonce, even at once from two connections) with its first answer, changing nothing", async () => {
    const id = await who.register("replay@example.org", "industry", { overrides: { name: "Rex Replay" } });
    const n = nonce();
    const at = Date.now();
    const [a, b, c] = await Promise.all([
      scan(desks[0], ticketOf(id), "1", n, at),
      scan(desks[0], ticketOf(id), "1", n, at),
      scan(desks[0], ticketOf(id), "1", n, at),
    ]);
    expect([a, b, c].map((x) => x.outcome)).toEqual(["admitted", "admitted", "admitted"]);
    expect([a, b, c].filter((x) => x.replayed)).toHaveLength(2);
    expect(sql.count("select count(*) as n from checkin_scans where nonce = ?", n)).toBe(1);
    const checkedIn = sql.get<{ at: number }>("select checked_in_at as at from registrations where id = ?", id).at;
    const later = await scan(desks[0], ticketOf(id), "1", n, at + 999);
    expect(later).toMatchObject({ outcome: "admitted", replayed: true });
    expect(sql.get<{ at: number }>("select checked_in_at as at from registrations where id = ?", id).at).toBe(checkedIn);
    expect(admissions(id)).toBe(1);
  });

  it("refuses bad input with a clear answer, an audit entry for each refused scan, and changes nothing", async () => {
    const cancelled = await who.register("cancel.desk@example.org", "industry", { overrides: { name: "Cora Cancelled" } });
    accounts.db.$client.prepare("update registrations set status = 'cancelled', seat_held = 0 where id = ?").run(cancelled);
    const yesterdayOne = await who.register("yesterday@example.org", "industry", { overrides: { name: "Yuri Yesterday" } });
    const before = audits("registration.checkin_refused");
    const beforeIn = sql.count("select count(*) as n from registrations where checked_in_at is not null");
    expect(await scan(desks[0], ticketOf(cancelled), "1")).toMatchObject({
      outcome: "refused",
      reason: "cancelled",
      attendee: { name: "Cora Cancelled" },
    });
    // A ticket of another edition (another key) or a made-up one: unknown here.
    expect(await scan(desks[0], "Q".repeat(43), "1")).toMatchObject({ outcome: "refused", reason: "not_found" });
    expect(await scan(desks[0], "https://example.org/not-a-ticket", "1")).toMatchObject({ outcome: "refused", reason: "malformed" });
    expect(await scan(desks[0], "\u0000\u0007\u00ff\ufffd".repeat(50), "1")).toMatchObject({ outcome: "refused", reason: "malformed" });
    expect(await scan(desks[0], ticketOf(yesterdayOne), "1", nonce(), Date.now() - 26 * 3600_000)).toMatchObject({
      outcome: "refused",
      reason: "stale",
    });
    expect(audits("registration.checkin_refused")).toBe(before + 5);
    // Requests that are not scans at all: refused whole, before any scan is read.
    const huge = await post(desks[0], JSON.stringify({ scans: [{ nonce: nonce(), code: "x".repeat(200_000), at: 1, desk: "1" }] }));
    expect(huge.status).toBe(413);
    const binary = await post(desks[0], new Uint8Array([0xff, 0xfe, 0x00, 0x01, 0x7b]));
    expect(binary.status).toBe(400);
    expect((await post(desks[0], { scans: [{ nonce: "x", code: "y", at: 1 }] })).status).toBe(400);
    expect((await post(desks[0], { scans: [] })).status).toBe(400);
    expect((await post(desks[0], "ticket=abc", { "Content-Type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await post(desks[0], { scans: [] }, { Origin: "https://evil.example" })).status).toBe(403);
    expect(audits("registration.checkin_refused")).toBe(before + 5);
    expect(sql.count("select count(*) as n from registrations where checked_in_at is not null")).toBe(beforeIn);
  });

  it("is for check-in staff and organizers only", async () => {
    const id = await who.register("outsider.scan@example.org", "industry");
    const anonymous = new Client(server);
    const body = { scans: [{ nonce: nonce(), code: ticketOf(id), at: Date.now(), desk: "x" }] };
    expect((await post(anonymous, body)).status).toBe(401);
    expect((await post(attendee, body)).status).toBe(403);
    expect((await anonymous.get("/admin/checkin/desk.json")).status).toBe(303);
    expect((await attendee.get("/admin/checkin/desk.json")).status).toBe(403);
    expect(sql.get<{ at: number | null }>("select checked_in_at as at from registrations where id = ?", id).at).toBeNull();
  });

  it("serves the desk page with WebAssembly allowed, and no other page", async () => {
    const desk = await desks[0].get("/admin/checkin");
    expect(desk.headers.get("content-security-policy")).toContain("script-src 'self' 'wasm-unsafe-eval'");
    const fr = await desks[0].get("/fr/admin/checkin");
    expect(fr.headers.get("content-security-policy")).toContain("'wasm-unsafe-eval'");
    for (const path of ["/", "/admin", "/programme", "/account"]) {
      const page = await desks[0].get(path);
      await page.arrayBuffer();
      expect(page.headers.get("content-security-policy") ?? "", path).not.toContain("wasm");
    }
    const worker = await desks[0].get("/admin/checkin/desk-sw.js");
    expect(worker.status).toBe(200);
    expect(worker.headers.get("service-worker-allowed")).toBe("/admin/checkin");
    expect(await worker.text()).toContain('const SCOPE = "/admin/checkin"');
  });

  it("erases what the browser kept at sign-out", async () => {
    const leaving = await who.staff("leaving@example.org", ["checkin"]);
    const response = await leaving.post("/account?_action=signOut", {});
    expect(response.status).toBe(303);
    expect(response.headers.get("clear-site-data")).toBe('"cache", "storage"');
  });
});
