// Entry and exit at the doors (decision 38) over HTTP, on the real server: off, the desks behave as
// before; an organizer turns counting on; the same person scanned out at two doors at once counts
// one exit; entry -> exit -> re-entry counts; a replayed exit changes nothing; a cancelled or
// unknown ticket's exit is refused with an audit entry; the counts of people inside per category.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let north: Client;
let south: Client;
let organizer: Client;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  north = await who.staff("north.door@example.org", ["checkin"]);
  south = await who.staff("south.door@example.org", ["checkin"]);
  organizer = await who.staff("doors.organizer@example.org", ["organizer"]);
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
const nonce = () => `door-nonce-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 10)}`;

interface Answer {
  nonce: string;
  outcome: string;
  reason?: string;
  replayed: boolean;
  direction?: string;
  attendee?: { id: number; inside?: boolean; presenceDesk?: string | null };
}
interface Counts {
  in: number;
  inside?: { inside: number; entries: number; exits: number; people: number };
  byCategory: Record<string, { inside?: { inside: number } }>;
}

async function scan(client: Client, code: string, direction: "entry" | "exit" | undefined, desk: string, n = nonce()) {
  const response = await fetch(`${server.url}/admin/checkin/desk.json`, {
    method: "POST",
    headers: { Cookie: client.cookieHeader, Origin: server.url, "Content-Type": "application/json" },
    body: JSON.stringify({ scans: [{ nonce: n, code, at: Date.now(), desk, ...(direction ? { direction } : {}) }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { answers: Answer[]; counts: Counts; entryExit: boolean };
  return { ...body.answers[0], counts: body.counts, entryExit: body.entryExit };
}
const presence = (id: number) =>
  sql.get<{ inside: number; entries: number; exits: number } | undefined>(
    "select inside, entries, exits from checkin_presence where registration_id = ?",
    id,
  );
const setMode = (client: Client, on: boolean) =>
  client.post("/admin/checkin/presence?_action=checkinEntryExit", on ? { entryExit: "on" } : {});

describe("entry and exit at the doors", () => {
  it("is off at first: an exit scan admits as before, nothing is counted, no mode in the roster", async () => {
    const id = await who.register("off.mode@example.org", "industry");
    const first = await scan(north, ticketOf(id), "exit", "N");
    expect(first).toMatchObject({ outcome: "admitted", entryExit: false });
    expect(first).not.toHaveProperty("direction");
    expect(first.counts).not.toHaveProperty("inside");
    expect((await scan(south, ticketOf(id), "exit", "S")).outcome).toBe("already");
    expect(presence(id)).toBeUndefined();
    const roster = (await (await north.get("/admin/checkin/desk.json")).json()) as { entryExit: boolean; attendees: object[] };
    expect(roster.entryExit).toBe(false);
    expect(Object.keys(roster.attendees[0]).sort()).toEqual([
      "category",
      "checkedInAt",
      "desk",
      "hash",
      "id",
      "name",
      "organisation",
      "state",
    ]);
  });

  it("is turned on by organizers only, with an audit entry", async () => {
    const refused = await setMode(north, true);
    expect(refused.status).not.toBe(303);
    expect(sql.count("select count(*) as n from checkin_settings where entry_exit = 1")).toBe(0);
    const saved = await setMode(organizer, true);
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toContain("saved=1");
    expect(sql.count("select count(*) as n from checkin_settings where entry_exit = 1")).toBe(1);
    expect(sql.count("select count(*) as n from audit_log where action = 'checkin.entry_exit'")).toBe(1);
    const page = await (await north.get("/admin/checkin/presence")).text();
    expect(page).not.toContain('name="entryExit"');
    expect(await (await organizer.get("/admin/checkin/presence")).text()).toContain('name="entryExit"');
  });

  it("counts one exit when two doors scan the same person out at once; entry, exit and re-entry each count", async () => {
    for (let round = 0; round < 3; round++) {
      const id = await who.register(`doors${round}@example.org`, "researcher");
      const code = ticketOf(id);
      expect(await scan(north, code, "entry", "N")).toMatchObject({ outcome: "admitted", direction: "entry", attendee: { inside: true } });
      const outs = await Promise.all([
        scan(north, code, "exit", "N"),
        scan(south, code, "exit", "S"),
        scan(north, code, "exit", "N"),
        scan(south, code, "exit", "S"),
      ]);
      expect(
        outs.filter((a) => a.outcome === "exited"),
        `round ${round}`,
      ).toHaveLength(1);
      expect(outs.filter((a) => a.outcome === "not_inside")).toHaveLength(3);
      expect(presence(id)).toEqual({ inside: 0, entries: 1, exits: 1 });
      const ins = await Promise.all([scan(north, code, "entry", "N"), scan(south, code, "entry", "S")]);
      expect(ins.map((a) => a.outcome).sort()).toEqual(["already_inside", "entered"]);
      expect(presence(id)).toEqual({ inside: 1, entries: 2, exits: 1 });
      expect(sql.count("select count(*) as n from checkin_scans where registration_id = ? and outcome = 'admitted'", id)).toBe(1);
    }
  });

  it("answers a replayed exit with its first answer, changing nothing", async () => {
    const id = await who.register("replay.exit@example.org", "industry");
    const code = ticketOf(id);
    await scan(north, code, "entry", "N");
    const n = nonce();
    expect((await scan(south, code, "exit", "S", n)).outcome).toBe("exited");
    await scan(north, code, "entry", "N");
    const again = await scan(south, code, "exit", "S", n);
    expect(again).toMatchObject({ outcome: "exited", replayed: true });
    expect(presence(id)).toEqual({ inside: 1, entries: 2, exits: 1 });
  });

  it("refuses the exit of a cancelled or unknown ticket with a clear answer and an audit entry", async () => {
    const id = await who.register("cancelled.exit@example.org", "industry");
    accounts.db.$client.prepare("update registrations set status = 'cancelled', seat_held = 0 where id = ?").run(id);
    const before = sql.count("select count(*) as n from audit_log where action = 'registration.checkin_refused'");
    expect(await scan(south, ticketOf(id), "exit", "S")).toMatchObject({ outcome: "refused", reason: "cancelled", direction: "exit" });
    expect(await scan(south, "Z".repeat(43), "exit", "S")).toMatchObject({ outcome: "refused", reason: "not_found" });
    expect(await scan(south, "\u0000\u00ff".repeat(30), "exit", "S")).toMatchObject({ outcome: "refused", reason: "malformed" });
    const refusals = accounts.db.$client
      .prepare("select after from audit_log where action = 'registration.checkin_refused' order by id desc limit 3")
      .all() as { after: string }[];
    expect(sql.count("select count(*) as n from audit_log where action = 'registration.checkin_refused'")).toBe(before + 3);
    expect(refusals.map((r) => JSON.parse(r.after).direction)).toEqual(["exit", "exit", "exit"]);
    expect(presence(id)).toBeUndefined();
  });

  it("gives the counts of people inside per category and overall, to the desks and the overview", async () => {
    const a = await who.register("count.a@example.org", "policy-maker");
    const b = await who.register("count.b@example.org", "policy-maker");
    const start = (await scan(north, ticketOf(a), "entry", "N")).counts;
    const after = (await scan(north, ticketOf(b), "entry", "N")).counts;
    expect(after.inside!.inside).toBe(start.inside!.inside + 1);
    expect(after.byCategory["policy-maker"].inside!.inside).toBe(2);
    const out = (await scan(south, ticketOf(a), "exit", "S")).counts;
    expect(out.byCategory["policy-maker"].inside!.inside).toBe(1);
    expect(out.inside!.exits).toBe(after.inside!.exits + 1);
    const overview = (await (await north.get("/admin/checkin/presence.json")).json()) as {
      entryExit: boolean;
      counts: Counts;
      days: object[];
    };
    expect(overview.entryExit).toBe(true);
    expect(overview.counts.inside).toEqual(out.inside);
    expect(overview.days).toHaveLength(1);
    const roster = (await (await north.get("/admin/checkin/desk.json")).json()) as { attendees: Answer["attendee"][] };
    expect(roster.attendees.find((r) => r!.id === b)).toMatchObject({ inside: true, presenceDesk: "N" });
    expect(roster.attendees.find((r) => r!.id === a)).toMatchObject({ inside: false, presenceDesk: "S" });
    const page = await (await south.get("/admin/checkin/presence")).text();
    expect(page).toContain(`data-presence-row="policy-maker"`);
    // Not for anyone but staff of the desk.
    expect((await new Client(server).get("/admin/checkin/presence.json")).status).toBe(303);
  });

  it("works without JavaScript: the ticket form's way, and the row's Entry and Exit buttons", async () => {
    const id = await who.register("form.doors@example.org", "industry", { overrides: { name: "Fiona Form" } });
    const entry = await north.post("/admin/checkin?_action=checkinTicket", { ticket: ticketOf(id), desk: "N", direction: "entry" });
    expect(entry.headers.get("location")).toContain(`done=${id}`);
    const exit = await north.post("/admin/checkin?_action=checkinRegistration", { id: String(id), desk: "N", direction: "exit" });
    expect(exit.headers.get("location")).toMatch(new RegExp(`exited=${id}.*way=exit|way=exit.*exited=${id}`));
    const page = await (await north.get(exit.headers.get("location")!)).text();
    expect(page).toContain("desk-answer--exited");
    expect(page).toMatch(/value="exit"[^>]*checked|checked[^>]*value="exit"/);
    const again = await north.post("/admin/checkin?_action=checkinRegistration", { id: String(id), desk: "N", direction: "exit" });
    expect(again.headers.get("location")).toContain(`outside=${id}`);
    expect(await (await north.get(again.headers.get("location")!)).text()).toContain("desk-answer--not_inside");
    expect(presence(id)).toEqual({ inside: 0, entries: 1, exits: 1 });
  });

  it("turned off again, the desks admit as before and the counts of people inside are gone", async () => {
    await setMode(organizer, false);
    const id = await who.register("off.again@example.org", "industry");
    const answer = await scan(north, ticketOf(id), "exit", "N");
    expect(answer).toMatchObject({ outcome: "admitted", entryExit: false });
    expect(answer.counts).not.toHaveProperty("inside");
    expect(presence(id)).toBeUndefined();
  });
});
