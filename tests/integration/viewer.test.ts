// The audience rule for signed-in people: every page and export is made for the request's viewer.
// A plain account, a confirmed industry attendee, a law-enforcement attendee (before and after an
// organizer approves them), an organizer with the second factor, and reviewers and check-in staff
// (who see only what their own registration allows: docs/decisions/0018) each get exactly what the
// rule allows of a `registered` session, a `law-enforcement` one and one whose title is not public
// (TLP:RED): in full, its title and time only, or nothing at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSessions, contentSpeakers, titleIn } from "../helpers/content.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

type Access = "full" | "title" | "none";

/** The three restricted sessions, with phrases of their abstract and description, in English and in French. */
const CASES = {
  registered: {
    slug: "botnet-mitigation-year-in-review",
    abstract: { en: "sinkholing partner", fr: "partenaire spécialisé dans le détournement de domaines" },
    description: { en: "median time from notification to clean-up", fr: "délai médian entre la notification et le nettoyage" },
  },
  lawEnforcement: {
    slug: "live-memory-acquisition-lab",
    abstract: { en: "acquisition kit used by their units", fr: "kit d’acquisition utilisé par leurs unités" },
    description: { en: "esc-node-07", fr: "nom d’hôte `esc-node-07`" },
  },
  hidden: {
    slug: "le-briefing-day-2",
    abstract: { en: "bulletproof hosting service", fr: "démantèlement coordonné d’un service d’hébergement" },
    description: { en: "codenamed WREN", fr: "nom de code WREN" },
  },
} as const;
type CaseName = keyof typeof CASES;

/** A speaker who speaks only in law-enforcement sessions. */
const LE_ONLY_SPEAKER = "jonas-achterberg-reuss";

/** What each kind of person may see of each session (BRIEF, Audience levels). */
const EXPECTED: Record<string, Record<CaseName, Access>> = {
  anonymous: { registered: "title", lawEnforcement: "title", hidden: "none" },
  plain: { registered: "title", lawEnforcement: "title", hidden: "none" },
  industry: { registered: "full", lawEnforcement: "title", hidden: "none" },
  policePending: { registered: "title", lawEnforcement: "title", hidden: "none" },
  police: { registered: "full", lawEnforcement: "full", hidden: "full" },
  organizer: { registered: "full", lawEnforcement: "full", hidden: "full" },
  // Staff roles open nothing: without a registration, a reviewer or check-in account is the public.
  reviewer: { registered: "title", lawEnforcement: "title", hidden: "none" },
  checkin: { registered: "title", lawEnforcement: "title", hidden: "none" },
};

const sessions = contentSessions();
const titleOf = (name: CaseName, lang: "en" | "fr" = "en") =>
  titleIn(
    sessions.find((s) => s.slug === CASES[name].slug)!,
    lang,
  );
const langOf = (path: string) => (path.startsWith("/fr") ? "fr" : "en");
const speakerName = contentSpeakers().find((s) => s.slug === LE_ONLY_SPEAKER)!.name;
const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
/** iCalendar content lines unfolded and unescaped, so that phrases can be looked for. */
const unfoldIcs = (ics: string) => ics.replace(/\r\n[ \t]/g, "").replace(/\\([,;\\])/g, "$1");

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
const clients: Record<string, Client> = {};
let policeRegistration: number;
let who: ReturnType<typeof people>;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  clients.anonymous = new Client(server);
  clients.plain = await who.signedIn("plain@example.org");
  clients.organizer = await who.staff("organizer@example.org", ["organizer"]);
  await who.registerAndConfirm("industry@example.org", "industry");
  clients.industry = await who.signedIn("industry@example.org");
  policeRegistration = await who.registerAndConfirm("inspector@interieur.gouv.fr", "law-enforcement");
  expect(who.statusOf(policeRegistration)).toBe("pending_review");
  clients.police = await who.signedIn("inspector@interieur.gouv.fr");
  clients.reviewer = await who.staff("reviewer@example.org", ["reviewer"]);
  clients.checkin = await who.staff("checkin@example.org", ["checkin"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

/** Fetches `path` as `client`, checks the caching headers a personalized answer needs, returns status and body. */
async function fetchAs(client: Client, path: string): Promise<{ status: number; body: string }> {
  const response = await client.get(path);
  const body = await response.text();
  expect(response.headers.get("vary") ?? "", `${path}: Vary`).toMatch(/\bcookie\b/i);
  const cacheControl = response.headers.get("cache-control") ?? "";
  // Only answers to anonymous visitors may be kept by a shared cache (decision 29).
  if (client.cookies.has("forum_session")) {
    expect(cacheControl, `${path}: Cache-Control`).not.toMatch(/\bpublic\b|s-maxage/);
    expect(cacheControl, `${path}: Cache-Control`).toMatch(/\bprivate\b|no-store/);
  }
  return { status: response.status, body };
}

/** Asserts that nothing of `name` beyond its title leaks into `body` (at `path`), in either language. */
function noDetails(body: string, name: CaseName, path: string) {
  const { abstract, description } = CASES[name];
  for (const phrase of [abstract.en, abstract.fr, description.en, description.fr.replaceAll("`", "")]) {
    expect(body.includes(phrase) || body.includes(escapeHtml(phrase)), `${path} leaks "${phrase}"`).toBe(false);
  }
}

/** Asserts that `body` does not even name `name`. */
function absent(body: string, name: CaseName, path: string) {
  noDetails(body, name, path);
  expect(body.includes(CASES[name].slug), `${path} names ${CASES[name].slug}`).toBe(false);
  for (const title of [titleOf(name, "en"), titleOf(name, "fr")])
    expect(body.includes(title) || body.includes(escapeHtml(title)), `${path} shows the title of ${name}`).toBe(false);
}

/** Every check of one person against the expectations. */
async function checkEverything(clientName: string, expected: Record<CaseName, Access>) {
  const client = clients[clientName];
  const names = Object.keys(CASES) as CaseName[];

  // The programme, as a grid and as a list, in both languages.
  for (const path of ["/programme", "/programme?view=list", "/fr/programme?view=list"]) {
    const { status, body } = await fetchAs(client, path);
    expect(status, path).toBe(200);
    for (const name of names) {
      const card = new RegExp(`<article class="([^"]*)" data-session="${CASES[name].slug}"`).exec(body);
      if (expected[name] === "none") {
        absent(body, name, path);
        continue;
      }
      expect(card, `${path}: card of ${name}`).not.toBeNull();
      expect(card![1].includes("session-card--restricted"), `${path}: ${name} restricted`).toBe(expected[name] === "title");
      noDetails(body, name, path);
    }
  }

  // Session pages, in both languages.
  for (const name of names) {
    for (const path of [`/sessions/${CASES[name].slug}`, `/fr/sessions/${CASES[name].slug}`]) {
      const { status, body } = await fetchAs(client, path);
      if (expected[name] === "none") {
        expect(status, path).toBe(404);
        absent(body, name, path);
      } else if (expected[name] === "title") {
        expect(status, path).toBe(200);
        expect(body).toContain(escapeHtml(titleOf(name, langOf(path))));
        expect(body, path).toContain("notice--restricted");
        noDetails(body, name, path);
      } else {
        expect(status, path).toBe(200);
        // In the page's language (the demo gives both).
        expect(body, path).toContain(escapeHtml(CASES[name].abstract[langOf(path)]));
        expect(body, path).toContain(CASES[name].description[langOf(path)].replace(/`([^`]+)`/, "<code>$1</code>"));
        expect(body, path).not.toContain("notice--restricted");
      }
    }
  }

  // The whole programme as iCalendar.
  const ics = await fetchAs(client, "/schedule.ics");
  expect(ics.status).toBe(200);
  const calendar = unfoldIcs(ics.body);
  for (const name of names) {
    const uid = `-session-${CASES[name].slug}@`;
    if (expected[name] === "none") absent(calendar, name, "/schedule.ics");
    else {
      expect(calendar, `/schedule.ics: ${name}`).toContain(uid);
      if (expected[name] === "full") expect(calendar, `/schedule.ics: ${name}`).toContain(CASES[name].abstract.en);
      else noDetails(calendar, name, "/schedule.ics");
    }
    // One session's calendar.
    const single = await fetchAs(client, `/sessions/${CASES[name].slug}.ics`);
    if (expected[name] === "none") expect(single.status).toBe(404);
    else expect(single.status).toBe(200);
    if (expected[name] === "full") expect(unfoldIcs(single.body)).toContain(CASES[name].abstract.en);
    else noDetails(unfoldIcs(single.body), name, `/sessions/${CASES[name].slug}.ics`);
  }

  // The frab schedule as JSON and XML.
  const json = await fetchAs(client, "/schedule.json");
  expect(json.status).toBe(200);
  const events = (
    JSON.parse(json.body) as {
      schedule: {
        conference: { days: { rooms: Record<string, { slug: string; abstract: string; description: string; persons: unknown[] }[]> }[] };
      };
    }
  ).schedule.conference.days.flatMap((day) => Object.values(day.rooms).flat());
  const xml = await fetchAs(client, "/schedule.xml");
  expect(xml.status).toBe(200);
  for (const name of names) {
    const event = events.find((e) => e.slug.endsWith(`-${CASES[name].slug}`));
    if (expected[name] === "none") {
      expect(event, `/schedule.json: ${name}`).toBeUndefined();
      absent(json.body, name, "/schedule.json");
      absent(xml.body, name, "/schedule.xml");
    } else if (expected[name] === "title") {
      expect(event, `/schedule.json: ${name}`).toMatchObject({ abstract: "", description: "", persons: [] });
      noDetails(json.body, name, "/schedule.json");
      expect(xml.body).toContain(`-${CASES[name].slug}</slug>`);
      noDetails(xml.body, name, "/schedule.xml");
    } else {
      expect(event!.abstract).toContain(CASES[name].abstract.en);
      expect(event!.description).toContain(CASES[name].description.en);
      expect(event!.persons.length).toBeGreaterThan(0);
      expect(xml.body).toContain(CASES[name].abstract.en);
    }
  }

  // The French exports: the same rule, the French texts.
  for (const path of [
    "/fr/schedule.ics",
    "/fr/schedule.json",
    "/fr/schedule.xml",
    ...names.map((n) => `/fr/sessions/${CASES[n].slug}.ics`),
  ]) {
    const { status, body } = await fetchAs(client, path);
    const text = path.endsWith(".ics") ? unfoldIcs(body) : body;
    const only = names.find((n) => path.includes(`/${CASES[n].slug}.ics`));
    for (const name of only ? [only] : names) {
      if (expected[name] === "none") {
        if (only) expect(status, path).toBe(404);
        absent(text, name, path);
      } else if (expected[name] === "title") noDetails(text, name, path);
      else expect(text, path).toContain(CASES[name].abstract.fr);
    }
  }

  // A speaker who only speaks in law-enforcement sessions exists only for those who see them.
  const seesLawEnforcement = expected.lawEnforcement === "full";
  const speaker = await fetchAs(client, `/speakers/${LE_ONLY_SPEAKER}`);
  expect(speaker.status).toBe(seesLawEnforcement ? 200 : 404);
  const speakers = await fetchAs(client, "/speakers");
  expect(speakers.body.includes(speakerName)).toBe(seesLawEnforcement);
  const home = await fetchAs(client, "/");
  for (const name of names) if (expected[name] !== "full") noDetails(home.body, name, "/");
  if (!seesLawEnforcement) expect(home.body).not.toContain(`/speakers/${LE_ONLY_SPEAKER}"`);
}

describe("what each viewer is shown", () => {
  it.each(["anonymous", "plain", "industry", "organizer", "reviewer", "checkin"])(
    "%s: exactly what the audience rule allows, everywhere",
    async (name) => {
      await checkEverything(name, EXPECTED[name]);
    },
  );

  it("a law-enforcement attendee: title only while under review, everything once an organizer approved them", async () => {
    await checkEverything("police", EXPECTED.policePending);
    await who.approve(clients.organizer, policeRegistration);
    // Same session cookie: the viewer is worked out again on every request.
    await checkEverything("police", EXPECTED.police);
  });

  it("a reviewer and a check-in account who are law-enforcement attendees: what that registration allows, once approved", async () => {
    const reviewerRegistration = await who.registerAndConfirm("reviewer.officer@interieur.gouv.fr", "law-enforcement");
    const checkinRegistration = await who.registerAndConfirm("desk.officer@interieur.gouv.fr", "law-enforcement");
    clients.reviewerOfficer = await who.staff("reviewer.officer@interieur.gouv.fr", ["reviewer"]);
    clients.checkinOfficer = await who.staff("desk.officer@interieur.gouv.fr", ["checkin"]);
    await checkEverything("reviewerOfficer", EXPECTED.policePending);
    await checkEverything("checkinOfficer", EXPECTED.policePending);
    await who.approve(clients.organizer, reviewerRegistration);
    await who.approve(clients.organizer, checkinRegistration);
    await checkEverything("reviewerOfficer", EXPECTED.police);
    await checkEverything("checkinOfficer", EXPECTED.police);
  });

  it("an organizer who has not given the second factor sees what their registration allows, not the organizers' view", async () => {
    clients.half = await who.signedIn("half@example.org", ["organizer"]);
    await checkEverything("half", EXPECTED.plain);
  });

  it("a conditional request never turns one person's page into another's (304 only for the same body)", async () => {
    const path = `/sessions/${CASES.registered.slug}`;
    const full = await clients.industry.get(path);
    const etag = full.headers.get("etag")!;
    expect(etag).toBeTruthy();
    const anonymous = await fetch(server.url + path, { headers: { "If-None-Match": etag } });
    expect(anonymous.status).toBe(200);
    noDetails(await anonymous.text(), "registered", path);
  });
});
