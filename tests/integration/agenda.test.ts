// The personal agenda over HTTP: stars (only of sessions the viewer may see), the /agenda page, the
// private calendar feed (content, reset, wrong tokens) and who may do any of it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

const PUBLIC = "opening-keynote-anticipating-crime"; // day 1, 09:15
const PUBLIC_DAY_2 = "closing-keynote-research-agenda"; // day 2, 16:00
const REGISTERED = "botnet-mitigation-year-in-review"; // day 1, 14:15
const LAW_ENFORCEMENT = "live-memory-acquisition-lab"; // day 1, 11:00
const HIDDEN = "le-briefing-day-2";
const LE_ABSTRACT = "acquisition kit used by their units";
const REGISTERED_ABSTRACT = "sinkholing partner";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let organizer: Client;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

/** The slugs `email` has starred, straight from the database. */
function starsOf(email: string): string[] {
  const data = serverDb(server);
  try {
    return (
      data.db
        .prepare(
          "select s.slug from agenda_stars a join sessions s on s.id = a.session_id join users u on u.id = a.user_id where u.email = ? order by s.slug",
        )
        .all(email) as { slug: string }[]
    ).map((r) => r.slug);
  } finally {
    data.close();
  }
}

const countRows = (table: "agenda_stars" | "agenda_feeds") => {
  const data = serverDb(server);
  try {
    return data.count(`select count(*) as n from ${table}`);
  } finally {
    data.close();
  }
};

/** A confirmed industry attendee, signed in. */
async function industryAttendee(email: string): Promise<Client> {
  await who.registerAndConfirm(email, "industry");
  return who.signedIn(email);
}

/** Slugs of the sessions listed on an agenda page, in page order. */
const listed = (html: string) => [...html.matchAll(/<li class="agenda-item[^"]*" data-session="([^"]+)"/g)].map((m) => m[1]);

/** The feed URL shown on an agenda page (as a path). */
function feedPath(html: string): string {
  const match = /id="feed-url"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="feed-url"/.exec(html);
  expect(match, "feed URL on the page").not.toBeNull();
  return new URL(match![1] ?? match![2]).pathname;
}

/** A calendar with its content lines unfolded and its text unescaped. */
const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, "").replace(/\\([,;\\])/g, "$1");
/** The VEVENTs of a calendar, unfolded. */
const vevents = (ics: string) => unfold(ics).split("BEGIN:VEVENT").slice(1);

describe("who may use the agenda", () => {
  it("an anonymous visitor is sent to sign in, by the page and by every form, and nothing is stored", async () => {
    const anonymous = new Client(server);
    const page = await anonymous.get("/agenda");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/signin?next=%2Fagenda");
    const fr = await anonymous.get("/fr/agenda");
    expect(fr.status).toBe(303);
    expect(fr.headers.get("location")).toBe("/fr/signin?next=%2Fagenda");

    for (const [path, back] of [
      ["/programme?view=list", "/programme?view=list"],
      [`/sessions/${PUBLIC}`, `/sessions/${PUBLIC}`],
      ["/agenda", "/agenda"],
    ]) {
      const joiner = path.includes("?") ? "&" : "?";
      const response = await anonymous.post(`${path}${joiner}_action=toggleStar`, { slug: PUBLIC, starred: "true" });
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location"), path).toBe(`/signin?next=${encodeURIComponent(back)}`);
    }
    const reset = await anonymous.post("/agenda?_action=resetAgendaFeed", {});
    expect(reset.status).toBe(303);
    expect(reset.headers.get("location")).toBe("/signin?next=%2Fagenda");
    // The Action's own endpoint answers 401.
    expect((await anonymous.post("/_actions/toggleStar", { slug: PUBLIC, starred: "true" })).status).toBe(401);
    expect((await anonymous.post("/_actions/resetAgendaFeed", {})).status).toBe(401);
    expect(countRows("agenda_stars")).toBe(0);
    expect(countRows("agenda_feeds")).toBe(0);
  });

  it("a cross-site star post is refused", async () => {
    const client = await who.signedIn("csrf@example.org");
    const response = await postForm(
      server,
      "/programme?_action=toggleStar",
      { slug: PUBLIC, starred: "true" },
      { Cookie: client.cookieHeader, Origin: "https://evil.example" },
    );
    expect(response.status).toBe(403);
    expect(starsOf("csrf@example.org")).toEqual([]);
  });
});

describe("stars", () => {
  it("from the programme and a session page: stored, and back to the same page", async () => {
    const email = "stars@example.org";
    const client = await industryAttendee(email);
    const fromList = await client.post("/programme?view=list&day=2013-07-02&_action=toggleStar", { slug: PUBLIC, starred: "true" });
    expect(fromList.status).toBe(303);
    expect(fromList.headers.get("location")).toBe(`/programme?view=list&day=2013-07-02#star-${PUBLIC}`);
    const fromPage = await client.post(`/fr/sessions/${REGISTERED}?_action=toggleStar`, { slug: REGISTERED, starred: "true" });
    expect(fromPage.status).toBe(303);
    expect(fromPage.headers.get("location")).toBe(`/fr/sessions/${REGISTERED}#star-${REGISTERED}`);
    // Starring twice changes nothing.
    expect((await client.post(`/sessions/${PUBLIC}?_action=toggleStar`, { slug: PUBLIC, starred: "true" })).status).toBe(303);
    expect(starsOf(email)).toEqual([REGISTERED, PUBLIC].sort());

    // The buttons now offer to remove them; other sessions to add.
    const list = await (await client.get("/programme?view=list")).text();
    const form = (slug: string) => new RegExp(`<form[^>]*id="star-${slug}"[^>]*>[\\s\\S]*?</form>`).exec(list)?.[0] ?? "";
    expect(form(PUBLIC)).toContain('name="starred" value="false"');
    expect(form(PUBLIC)).toContain("Remove from my agenda");
    expect(form(PUBLIC_DAY_2)).toContain('name="starred" value="true"');
    expect(form(PUBLIC_DAY_2)).toContain("Add to my agenda");
    expect(form(PUBLIC)).toMatch(/action="\/programme\?view=list&amp;_action=toggleStar"/);
    expect(list).toContain("My agenda (2)");
    // Breaks and sessions not shown in full have no button.
    expect(form("lunch-day-1")).toBe("");
    expect(form(LAW_ENFORCEMENT)).toBe("");
    const page = await (await client.get(`/sessions/${REGISTERED}`)).text();
    expect(page).toContain(`id="star-${REGISTERED}"`);
    expect(page).toContain("Remove from my agenda");

    // Removing from the session page.
    const removed = await client.post(`/sessions/${REGISTERED}?_action=toggleStar`, { slug: REGISTERED, starred: "false" });
    expect(removed.status).toBe(303);
    expect(starsOf(email)).toEqual([PUBLIC]);
  });

  it("of a session the viewer may not see in full: refused with 404, whatever it is, and nothing stored", async () => {
    const plainEmail = "plain-stars@example.org";
    const plain = await who.signedIn(plainEmail);
    const industryEmail = "industry-stars@example.org";
    const industry = await industryAttendee(industryEmail);
    const attempts: [Client, string, string][] = [
      [plain, REGISTERED, `/sessions/${REGISTERED}`],
      [plain, REGISTERED, "/programme"],
      [plain, LAW_ENFORCEMENT, `/sessions/${LAW_ENFORCEMENT}`],
      [plain, HIDDEN, "/programme"],
      [industry, LAW_ENFORCEMENT, `/sessions/${LAW_ENFORCEMENT}`],
      [industry, LAW_ENFORCEMENT, "/fr/programme"],
      [industry, HIDDEN, `/sessions/${HIDDEN}`],
      [industry, HIDDEN, "/agenda"],
      [industry, "no-such-session", "/programme"],
      [industry, "lunch-day-1", "/programme"],
      [industry, "securing-smart-city-sensor-networks", "/programme"],
    ];
    for (const [client, slug, path] of attempts) {
      const response = await client.post(`${path}?_action=toggleStar`, { slug, starred: "true" });
      const body = await response.text();
      expect(response.status, `${slug} from ${path}`).toBe(404);
      expect(body, `${slug} from ${path}`).not.toContain(LE_ABSTRACT);
      if (path !== `/sessions/${HIDDEN}`) expect(body).toMatch(/cannot be added to your agenda|ne peut pas être ajoutée/);
      expect(response.headers.get("cache-control")).toMatch(/private|no-store/);
    }
    // Removing is refused the same way (it would tell a hidden session from an unknown one otherwise).
    expect((await industry.post("/programme?_action=toggleStar", { slug: HIDDEN, starred: "false" })).status).toBe(404);
    expect(starsOf(plainEmail)).toEqual([]);
    expect(starsOf(industryEmail)).toEqual([]);
  });

  it("refuses malformed input with 400", async () => {
    const client = await who.signedIn("malformed@example.org");
    expect((await client.post("/programme?_action=toggleStar", { slug: PUBLIC })).status).toBe(400);
    expect((await client.post("/programme?_action=toggleStar", { slug: PUBLIC, starred: "maybe" })).status).toBe(400);
    expect((await client.post("/programme?_action=toggleStar", { slug: "", starred: "true" })).status).toBe(400);
    expect((await client.post("/programme?_action=toggleStar", { slug: "x".repeat(500), starred: "true" })).status).toBe(400);
    expect(starsOf("malformed@example.org")).toEqual([]);
  });
});

describe("the agenda page", () => {
  it("lists the starred sessions by day and time, with links and remove buttons, in both languages", async () => {
    const email = "page@example.org";
    const client = await industryAttendee(email);
    const empty = await client.get("/agenda");
    expect(empty.status).toBe(200);
    expect(empty.headers.get("cache-control")).toBe("no-store");
    expect(empty.headers.get("x-robots-tag")).toContain("noindex");
    expect(await empty.text()).toContain("Your agenda is empty.");

    for (const slug of [PUBLIC_DAY_2, REGISTERED, PUBLIC]) {
      expect((await client.post("/programme?_action=toggleStar", { slug, starred: "true" })).status).toBe(303);
    }
    const page = await (await client.get("/agenda")).text();
    expect(listed(page)).toEqual([PUBLIC, REGISTERED, PUBLIC_DAY_2]);
    expect(page).toContain("3 sessions in your agenda");
    expect(page).toContain("Tuesday, 2 July 2013");
    expect(page).toContain("Wednesday, 3 July 2013");
    expect(page.indexOf("Tuesday, 2 July 2013")).toBeLessThan(page.indexOf(`data-session="${PUBLIC_DAY_2}"`));
    expect(page).toContain(`href="/sessions/${REGISTERED}"`);
    expect(page).toMatch(/<time datetime="2013-07-02T12:15:00.000Z">14:15<\/time>/);

    const fr = await (await client.get("/fr/agenda")).text();
    expect(fr).toContain("<h1>Mon agenda</h1>");
    expect(fr).toContain(`href="/fr/sessions/${REGISTERED}"`);
    expect(fr).toContain("mardi 2 juillet 2013");
    expect(listed(fr)).toEqual([PUBLIC, REGISTERED, PUBLIC_DAY_2]);

    const removed = await client.post("/agenda?_action=toggleStar", { slug: REGISTERED, starred: "false" });
    expect(removed.status).toBe(303);
    expect(removed.headers.get("location")).toBe("/agenda");
    expect(listed(await (await client.get("/agenda")).text())).toEqual([PUBLIC, PUBLIC_DAY_2]);
    const removedFr = await client.post("/fr/agenda?_action=toggleStar", { slug: PUBLIC, starred: "false" });
    expect(removedFr.headers.get("location")).toBe("/fr/agenda");
    expect(starsOf(email)).toEqual([PUBLIC_DAY_2]);
  });
});

describe("the private calendar feed", () => {
  it("holds the starred sessions as its owner may see them; reset makes the old address answer 404", async () => {
    const email = "feed@example.org";
    const client = await industryAttendee(email);
    for (const slug of [PUBLIC, REGISTERED]) await client.post("/programme?_action=toggleStar", { slug, starred: "true" });

    const before = await (await client.get("/agenda")).text();
    expect(before).toContain("Create my calendar address");
    expect(before).not.toContain('id="feed-url"');
    const created = await client.post("/agenda?_action=resetAgendaFeed", {});
    expect(created.status).toBe(303);
    expect(created.headers.get("location")).toBe("/agenda?feed=created#feed");
    const page = await (await client.get("/agenda?feed=created")).text();
    expect(page).toContain("Your private calendar address is ready.");
    const path = feedPath(page);
    expect(path).toMatch(/^\/agenda\/[A-Za-z0-9_-]{43}\.ics$/);
    expect(page).toContain(`href="webcal://127.0.0.1:${server.port}${path}"`);

    // Only the hash of the token is stored.
    const token = path.slice("/agenda/".length, -".ics".length);
    const data = serverDb(server);
    try {
      expect(JSON.stringify(data.db.prepare("select * from agenda_feeds").all())).not.toContain(token);
    } finally {
      data.close();
    }

    // Read without any cookie, as a calendar app does.
    const feed = await fetch(server.url + path);
    expect(feed.status).toBe(200);
    expect(feed.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(feed.headers.get("cache-control")).toBe("no-store");
    expect(feed.headers.get("x-robots-tag")).toContain("noindex");
    const ics = await feed.text();
    expect(ics.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
    expect(ics).toContain("BEGIN:VTIMEZONE");
    const events = vevents(ics);
    expect(events).toHaveLength(2);
    expect(events[0]).toContain(`-session-${PUBLIC}@`);
    expect(events[1]).toContain(`-session-${REGISTERED}@`);
    expect(events[1]).toContain("DTSTART;TZID=Europe/Paris:20130702T141500");
    // The registered session in full: the industry attendee may see it.
    expect(events[1]).toContain(REGISTERED_ABSTRACT);
    expect(ics).toContain("X-WR-CALNAME:My agenda");
    expect(ics).not.toContain(token);

    // A star of a session its owner does not see in full (left over, say) never reaches the feed or the page.
    const db = serverDb(server);
    try {
      db.db
        .prepare(
          "insert into agenda_stars (user_id, session_id) select u.id, s.id from users u, sessions s where u.email = ? and s.slug in (?, ?)",
        )
        .run(email, LAW_ENFORCEMENT, HIDDEN);
    } finally {
      db.close();
    }
    const again = unfold(await (await fetch(server.url + path)).text());
    expect(vevents(again)).toHaveLength(2);
    expect(again).not.toContain(LAW_ENFORCEMENT);
    expect(again).not.toContain(HIDDEN);
    expect(again).not.toContain(LE_ABSTRACT);
    expect(listed(await (await client.get("/agenda")).text())).toEqual([PUBLIC, REGISTERED]);

    // Reset: a new address, the old one is gone.
    const reset = await client.post("/agenda?_action=resetAgendaFeed", {});
    expect(reset.headers.get("location")).toBe("/agenda?feed=reset#feed");
    const resetPage = await (await client.get("/agenda?feed=reset")).text();
    expect(resetPage).toContain("The previous one no longer works");
    const newPath = feedPath(resetPage);
    expect(newPath).not.toBe(path);
    expect((await fetch(server.url + path)).status).toBe(404);
    expect((await fetch(server.url + newPath)).status).toBe(200);
  });

  it("answers 404 to a wrong, malformed or foreign-looking token, with nothing cached", async () => {
    for (const path of [
      `/agenda/${"A".repeat(43)}.ics`,
      "/agenda/short.ics",
      `/agenda/${"A".repeat(44)}.ics`,
      "/agenda/..%2F..%2Fetc.ics",
      "/fr/agenda/x.ics",
    ]) {
      const response = await fetch(server.url + path);
      expect(response.status, path).toBe(404);
      const body = await response.text();
      expect(body, path).not.toContain("BEGIN:VCALENDAR");
    }
    const wrong = await fetch(`${server.url}/agenda/${"A".repeat(43)}.ics`);
    expect(wrong.headers.get("cache-control")).toBe("no-store");
  });

  it("follows the owner's registration: law-enforcement sessions while confirmed, gone once cancelled", async () => {
    const email = "officer@interieur.gouv.fr";
    const id = await who.registerAndConfirm(email, "law-enforcement");
    await who.approve(organizer, id);
    const client = await who.signedIn(email);
    for (const slug of [PUBLIC, LAW_ENFORCEMENT, HIDDEN]) {
      expect((await client.post(`/sessions/${slug}?_action=toggleStar`, { slug, starred: "true" })).status, slug).toBe(303);
    }
    await client.post("/agenda?_action=resetAgendaFeed", {});
    const path = feedPath(await (await client.get("/agenda")).text());
    const confirmed = unfold(await (await fetch(server.url + path)).text());
    expect(vevents(confirmed)).toHaveLength(3);
    expect(confirmed).toContain(LE_ABSTRACT);
    expect(listed(await (await client.get("/agenda")).text())).toEqual([PUBLIC, LAW_ENFORCEMENT, HIDDEN]);

    // The organizers cancel the registration on the officer's behalf.
    const cancelled = await organizer.post("/admin/registrations?_action=decideRegistrations", {
      ids: String(id),
      decision: "cancel",
      reason: "",
    });
    expect(cancelled.status).toBe(303);
    expect(who.statusOf(id)).toBe("cancelled");
    const after = unfold(await (await fetch(server.url + path)).text());
    expect(vevents(after)).toHaveLength(1);
    expect(after).toContain(`-session-${PUBLIC}@`);
    expect(after).not.toContain(LAW_ENFORCEMENT);
    expect(after).not.toContain(HIDDEN);
    expect(after).not.toContain(LE_ABSTRACT);
    expect(listed(await (await client.get("/agenda")).text())).toEqual([PUBLIC]);
    // The stars are kept (hidden), so they come back if the person is confirmed again.
    expect(starsOf(email)).toHaveLength(3);
  });

  it("never carries staff rights: a feed has no second factor", async () => {
    expect((await organizer.post(`/sessions/${HIDDEN}?_action=toggleStar`, { slug: HIDDEN, starred: "true" })).status).toBe(303);
    expect((await organizer.post(`/programme?_action=toggleStar`, { slug: PUBLIC, starred: "true" })).status).toBe(303);
    expect(listed(await (await organizer.get("/agenda")).text())).toEqual([PUBLIC, HIDDEN]);
    await organizer.post("/agenda?_action=resetAgendaFeed", {});
    const path = feedPath(await (await organizer.get("/agenda")).text());
    const ics = await (await fetch(server.url + path)).text();
    expect(vevents(ics)).toHaveLength(1);
    expect(ics).not.toContain(HIDDEN);
  });
});
