// Both languages, end to end against the built server and the demo edition: every page gives the
// reader the texts in their language, or else in the other one marked with its `lang`; releases tell
// each person in their own language; the organizers read states, languages, countries and people
// by name, never by code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abstractIn, bioIn, contentSessions, contentSpeakers, titleIn } from "../helpers/content.ts";
import { serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

const sessions = contentSessions();
const speakers = contentSpeakers();
const session = (slug: string) => sessions.find((s) => s.slug === slug)!;
const speaker = (slug: string) => speakers.find((s) => s.slug === slug)!;

/** An English session with a French version, and a French one with an English version, in the demo. */
const ENGLISH = "opening-keynote-anticipating-crime";
const FRENCH = "keynote-securite-numerique-responsabilite-partagee";
/** Sessions whose translation the test removes, to see the fallback. */
const UNTRANSLATED_EN = "usable-security-smes";
const UNTRANSLATED_FR = "sensibiliser-pme-rancongiciel";
/** A speaker whose French biography the test removes. */
const BIO_EN_ONLY = "haruka-tsukimori";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let organizer: Client;
let data: ReturnType<typeof serverDb>;

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
const page = async (path: string) => {
  const response = await fetch(server.url + path);
  expect(response.status, path).toBe(200);
  return response.text();
};
/** The first paragraph of a Markdown abstract, as the page renders its text (the first 60 characters). */
const start = (markdown: string) => escapeHtml(markdown.split("\n")[0]!.slice(0, 60));
/** The inside of `slug`'s session card, as written. */
const card = (html: string, slug: string) =>
  new RegExp(`<article[^>]*data-session="${slug}"[^>]*>([\\s\\S]*?)</article>`).exec(html)?.[1] ?? "";

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  organizer = await people(server, accounts).staff("bilingual-organizer@example.org", ["organizer"]);
  data = serverDb(server);
});
afterAll(async () => {
  data?.close();
  accounts?.close();
  await server?.stop();
});

describe("pages in the reader's language", () => {
  it("a session page: the French page has the French title, abstract and description, the English page the English ones", async () => {
    const s = session(ENGLISH);
    const fr = await page(`/fr/sessions/${ENGLISH}`);
    expect(fr).toMatch(new RegExp(`<h1>${escapeHtml(titleIn(s, "fr"))}</h1>`));
    expect(fr).toContain(start(abstractIn(s, "fr")));
    expect(fr).toContain("trois engagements concrets");
    expect(fr).not.toContain(start(abstractIn(s, "en")));
    // The page's own language: no lang attribute needed on the texts.
    expect(fr).not.toMatch(/<h1 lang=/);
    expect(fr).not.toMatch(/class="prose session-page__abstract" lang=/);
    const en = await page(`/sessions/${ENGLISH}`);
    expect(en).toMatch(new RegExp(`<h1>${escapeHtml(titleIn(s, "en"))}</h1>`));
    expect(en).toContain(start(abstractIn(s, "en")));
  });

  it("a session held in French reads in English on the English page", async () => {
    const s = session(FRENCH);
    const en = await page(`/sessions/${FRENCH}`);
    expect(en).toMatch(new RegExp(`<h1>${escapeHtml(titleIn(s, "en"))}</h1>`));
    expect(en).toContain(start(abstractIn(s, "en")));
    // Its language is still the one it is held in.
    expect(en).toMatch(/<dt>Language<\/dt>\s*<dd>French<\/dd>/);
    const fr = await page(`/fr/sessions/${FRENCH}`);
    expect(fr).toMatch(new RegExp(`<h1>${escapeHtml(titleIn(s, "fr"))}</h1>`));
  });

  it("the programme (grid and list), the home page and the speakers' pages show French titles and biographies in French", async () => {
    const s = session(ENGLISH);
    for (const path of ["/fr/programme", "/fr/programme?view=list", "/fr/"]) {
      const html = await page(path);
      expect(card(html, ENGLISH), path).toContain(escapeHtml(titleIn(s, "fr")));
    }
    const amelie = speaker("amelie-dupont-varenne");
    const fr = await page("/fr/speakers/amelie-dupont-varenne");
    expect(fr).toContain(start(bioIn(amelie, "fr")));
    expect(fr).not.toMatch(/speaker-page__bio" lang=/);
    expect(await page("/speakers/amelie-dupont-varenne")).toContain(start(bioIn(amelie, "en")));
    const list = await page("/fr/speakers");
    expect(list).toContain(escapeHtml(titleIn(s, "fr")));
  });

  it("search finds a session by words of either language, from either page", async () => {
    for (const path of ["/programme", "/fr/programme"]) {
      for (const q of ["anticiper la criminalité", "Anticipating crime"]) {
        const html = await page(`${path}?q=${encodeURIComponent(q)}`);
        expect(html, `${path} ${q}`).toContain(`data-session="${ENGLISH}"`);
      }
    }
  });
});

describe("a text missing in the reader's language", () => {
  beforeAll(async () => {
    // The translations of two sessions and of a biography are removed, then published.
    data.db.prepare("update sessions set title_fr = '', abstract_fr = '', description_fr = '' where slug = ?").run(UNTRANSLATED_EN);
    data.db.prepare("update sessions set title_en = '', abstract_en = '' where slug = ?").run(UNTRANSLATED_FR);
    data.db.prepare("update speakers set bio_fr = '' where slug = ?").run(BIO_EN_ONLY);
    const published = await organizer.post("/admin/programme?_action=publishRelease", { commentEn: "Fewer translations", commentFr: "" });
    expect(published.status).toBe(303);
  });

  it("falls back to the other language, marked with its lang, on the session page", async () => {
    const s = session(UNTRANSLATED_EN);
    const fr = await page(`/fr/sessions/${UNTRANSLATED_EN}`);
    expect(fr).toContain(`<h1 lang="en">${escapeHtml(s.title)}</h1>`);
    expect(fr).toMatch(/<div class="prose session-page__abstract" lang="en">/);
    expect(fr).toContain(start(s.body));
    const other = session(UNTRANSLATED_FR);
    const en = await page(`/sessions/${UNTRANSLATED_FR}`);
    expect(en).toContain(`<h1 lang="fr">${escapeHtml(other.title)}</h1>`);
    expect(en).toMatch(/<div class="prose session-page__abstract" lang="fr">/);
  });

  it("and in the grid, the list, the speakers' pages, the changelog and the French exports", async () => {
    const s = session(UNTRANSLATED_EN);
    for (const path of ["/fr/programme", "/fr/programme?view=list"]) {
      expect(card(await page(path), UNTRANSLATED_EN), path).toMatch(/<h[34] class="session-card__title" lang="en">/);
    }
    const fr = await page(`/fr/speakers/${BIO_EN_ONLY}`);
    expect(fr).toMatch(/<div class="prose speaker-page__bio" lang="en">/);
    expect(fr).toContain(start(bioIn(speaker(BIO_EN_ONLY), "en")));
    // The French list names the session in English, marked so.
    expect(await page("/fr/speakers")).toContain(`<li lang="en">${escapeHtml(s.title)}</li>`);
    // The changelog's comment, given in English only, is shown on the French page as English.
    expect(await page("/fr/changelog")).toContain('<span lang="en">Fewer translations</span>');
    const json = JSON.parse(await page("/fr/schedule.json"));
    const events = json.schedule.conference.days.flatMap(
      (d: { rooms: Record<string, { slug: string; title: string; abstract: string }[]> }) => Object.values(d.rooms).flat(),
    );
    const event = events.find((e: { slug: string }) => e.slug.endsWith(UNTRANSLATED_EN))!;
    expect(event.title).toBe(s.title);
    expect(event.abstract).toBe(s.body);
  });
});

describe("release e-mails", () => {
  it("tell each speaker of a moved session in their own language", async () => {
    const moved = [FRENCH, "cryptocurrency-tracing-basics"];
    for (const slug of moved) {
      data.db.prepare("update sessions set starts_at = starts_at + 300000, ends_at = ends_at + 300000 where slug = ?").run(slug);
    }
    // Five minutes later they overlap the next sessions: the release asks first, keeping the comment in both languages.
    const comment = { commentEn: "", commentFr: "Deux sessions décalées" };
    const asked = await organizer.post("/admin/programme?_action=publishRelease", comment);
    expect(asked.status).toBe(200);
    const step = await asked.text();
    expect(step).toContain('name="commentFr" value="Deux sessions décalées"');
    expect(step).toMatch(/<span lang="fr"[^>]*>Deux sessions décalées<\/span>/);
    const acknowledged = /name="acknowledged" value="([^"]+)"/.exec(step)![1]!;
    expect((await organizer.post("/admin/programme?_action=publishRelease", { ...comment, acknowledged })).status).toBe(303);
    expect(data.db.prepare("select comment_en, comment_fr from schedule_releases order by number desc limit 1").get()).toEqual({
      comment_en: "",
      comment_fr: "Deux sessions décalées",
    });
    const messages = data.db
      .prepare("select recipient, language, payload from outbox where template = 'programme.release' order by id")
      .all() as { recipient: string; language: "en" | "fr"; payload: string }[];
    const told = new Map(messages.map((m) => [m.recipient, { language: m.language, sessions: JSON.parse(m.payload).sessions }]));
    // Mehdi speaks at the French keynote and reads French; Elena reads English.
    const mehdi = speaker("mehdi-benkirane-roux");
    const elena = speaker("elena-marinescu-voss");
    expect(told.get(mehdi.email!)).toMatchObject({ language: "fr", sessions: [{ slug: FRENCH, title: titleIn(session(FRENCH), "fr") }] });
    expect(told.get(elena.email!)?.language).toBe("en");
    expect(told.get(elena.email!)?.sessions).toContainEqual(
      expect.objectContaining({ slug: "cryptocurrency-tracing-basics", title: titleIn(session("cryptocurrency-tracing-basics"), "en") }),
    );
    // The changelog and its feed show the release comment in French to French readers, in French only otherwise.
    expect(await page("/fr/changelog.rss")).toContain("Deux sessions décalées");
    expect(await page("/changelog")).toContain('<span lang="fr">Deux sessions décalées</span>');
  });
});

describe("organizers read words, not codes", () => {
  let id: number;
  beforeAll(async () => {
    const crowd = people(server, accounts);
    id = await crowd.register("codes-check@example.org", "law-enforcement", { overrides: { country: "DE", language: "fr" } });
    const decided = await organizer.post(`/admin/registrations/${id}?_action=decideRegistrations`, {
      ids: String(id),
      decision: "waitlist",
      reason: "",
    });
    expect(decided.status).toBe(303);
  });

  it("a registration's page: states in the organizers' words, language and country by name, people by address", async () => {
    const en = await (await organizer.get(`/admin/registrations/${id}`)).text();
    expect(en).toMatch(/<dt>Country<\/dt>\s*<dd>Germany \(DE\)<\/dd>/);
    expect(en).toMatch(/<dt>Language of our messages<\/dt>\s*<dd>French<\/dd>/);
    expect(en).toContain("Address not confirmed → Awaiting review");
    // Waitlisted by the organizer, then given a free seat at once by the system.
    expect(en).toContain("Awaiting review → Waiting list (bilingual-organizer@example.org)");
    expect(en).toContain("Waiting list → Confirmed (automatically)");
    expect(en).not.toContain("Waiting for you to confirm your e-mail address");
    expect(en).not.toMatch(/staff:\d/);
    expect(en).toContain("(the attendee) · registration submitted");
    expect(en).toContain("(the attendee) · address confirmed");
    const fr = await (await organizer.get(`/fr/admin/registrations/${id}`)).text();
    expect(fr).toMatch(/<dt>Pays<\/dt>\s*<dd>Allemagne \(DE\)<\/dd>/);
    expect(fr).toContain("Adresse non confirmée");
    expect(fr).toContain("(la personne inscrite) · inscription envoyée");
    expect(fr).toContain("(la personne inscrite) · adresse confirmée");
    expect(fr).toContain("À examiner → Liste d’attente (bilingual-organizer@example.org)");
    expect(fr).toContain("Liste d’attente → Confirmée (automatiquement)");
    expect(fr).not.toContain("registration submitted");
  });

  it("the list names countries and states, and filters by a country chosen by name", async () => {
    const en = await (await organizer.get("/admin/registrations?country=DE")).text();
    expect(en).toMatch(/<td data-label="Country">Germany<\/td>/);
    expect(en).toMatch(/<option value="DE" selected>Germany<\/option>/);
    expect(en).toContain('<td data-label="State">Confirmed</td>');
    const fr = await (await organizer.get("/fr/admin/registrations?country=DE")).text();
    expect(fr).toMatch(/<td data-label="Pays">Allemagne<\/td>/);
    expect(fr).toContain('<td data-label="État">Confirmée</td>');
  });
});
