// Releases: the public sees the latest published version, not the work in progress; an organizer
// publishes, and the changelog (page and RSS) tells what moved.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client.ts";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { scheduleSession } from "../../src/lib/programme/editor.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

const SLUG = "opening-keynote-anticipating-crime";
let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let organizer: Client;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  organizer = await people(server, accounts).staff("releaser@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

/** The time shown for the keynote on its public page. */
async function publicTime(): Promise<string> {
  const html = await (await fetch(`${server.url}/sessions/${SLUG}`)).text();
  return /<time[^>]*datetime="([^"]+)"/.exec(html)![1];
}

describe("releases", () => {
  it("the demo is published as version 1", async () => {
    const html = await (await fetch(`${server.url}/changelog`)).text();
    expect(html).toContain("Version 1");
    expect(html).toContain("First published programme.");
  });

  it("an edit stays unpublished until an organizer releases it; then the changelog says what moved", async () => {
    const before = await publicTime();
    const db = openDatabase(server.databasePath);
    try {
      const row = db.$client.prepare("select version, starts_at, ends_at, room_id from sessions where slug = ?").get(SLUG) as {
        version: number;
        starts_at: number;
        ends_at: number;
        room_id: number | null;
      };
      const hour = 3_600_000;
      const result = scheduleSession(
        db,
        loadEdition(),
        {
          slug: SLUG,
          version: row.version,
          startsAt: new Date(row.starts_at + hour),
          endsAt: new Date(row.ends_at + hour),
          roomId: row.room_id,
        },
        { id: 1, email: "releaser@example.org" },
      );
      expect(result.ok).toBe(true);
    } finally {
      db.$client.close();
    }
    // The public still sees the published version; the organizers' preview shows the edit.
    expect(await publicTime()).toBe(before);
    const publicGrid = await (await fetch(`${server.url}/programme`)).text();
    const preview = await organizer.get("/admin/programme/preview");
    expect(preview.status).toBe(200);
    const previewGrid = await preview.text();
    expect(previewGrid).toContain("Nothing here is public yet.");
    const admin = await (await organizer.get("/admin/programme")).text();
    expect(admin).toContain("Moved:");

    // Anyone but an organizer is refused the release.
    const intruder = await people(server, accounts).signedIn("intruder@example.org");
    const refused = await intruder.post("/admin/programme?_action=publishRelease", { commentEn: "no" });
    expect([303, 403]).toContain(refused.status);
    expect(await publicTime()).toBe(before);

    // The keynote now overlaps the next session in its room: the release asks first, naming it.
    const asked = await organizer.post("/admin/programme?_action=publishRelease", {
      commentEn: "Keynote one hour later",
      commentFr: "Ouverture une heure plus tard",
    });
    expect(asked.status).toBe(200);
    const step = await asked.text();
    expect(step).toContain("Two sessions in one room at once");
    expect(await publicTime()).toBe(before);
    const acknowledged = /name="acknowledged" value="([^"]+)"/.exec(step)![1]!;
    const published = await organizer.post("/admin/programme?_action=publishRelease", {
      commentEn: "Keynote one hour later",
      commentFr: "Ouverture une heure plus tard",
      acknowledged,
    });
    expect(published.status).toBe(303);
    expect(published.headers.get("location")).toBe("/admin/programme?published=2");
    const after = await publicTime();
    expect(after).not.toBe(before);
    // What the preview showed before the release is what the public sees after it.
    expect(previewGrid).toContain(`datetime="${after}"`);
    expect(publicGrid).not.toContain(`datetime="${after}"`);

    const schedule = await (await fetch(`${server.url}/schedule.json`)).json();
    expect(schedule.schedule.version).toMatch(/^2-[0-9a-f]{12}$/);
    const changelog = await (await fetch(`${server.url}/fr/changelog`)).text();
    expect(changelog).toContain("Version 2");
    expect(changelog).toContain("Déplacée");
    // Each reader gets the comment in their language.
    expect(changelog).toContain("Ouverture une heure plus tard");
    expect(changelog).not.toContain("Keynote one hour later");
    expect(await (await fetch(`${server.url}/changelog`)).text()).toContain("Keynote one hour later");
    const rss = await (await fetch(`${server.url}/changelog.rss`)).text();
    expect(rss).toContain("<title>Version 2</title>");
    expect(rss).toContain("Keynote one hour later");
    expect(rss).toContain("1 moved");
    expect(rss).toContain("Moved: ");
    const french = await (await fetch(`${server.url}/fr/changelog.rss`)).text();
    expect(french).toContain("<language>fr</language>");
    expect(french).toContain("Ouverture une heure plus tard");
    // The first release's comment was given in both languages by the demo.
    expect(french).toContain("Édition de démonstration");
    expect(french).toContain("1 déplacée(s)");
    expect(french).toContain("Déplacée\u00a0: ");
    // The moved keynote by its French title in the French feed and page, its English one in the English feed.
    expect(french).toContain("Déplacée\u00a0: Conférence d’ouverture\u00a0: anticiper la criminalité dans un monde connecté");
    expect(changelog).toContain("Conférence d’ouverture\u00a0: anticiper la criminalité");
    expect(rss).toContain("Moved: Opening keynote: Anticipating crime in a connected world");
    expect(french).toContain("/fr/changelog#release-2");
    expect(changelog).toContain('href="/fr/changelog.rss"');
    // The page announces its feed to readers and browsers; the feed names its own address.
    expect(changelog).toMatch(
      new RegExp(`<link rel="alternate" type="application/rss\\+xml" title="[^"]+" href="${server.url}/fr/changelog.rss">`),
    );
    expect(french).toContain(`<atom:link href="${server.url}/fr/changelog.rss" rel="self" type="application/rss+xml"/>`);
    expect(rss).toContain(`<atom:link href="${server.url}/changelog.rss" rel="self" type="application/rss+xml"/>`);

    // The keynote's speaker is told by e-mail, with the new time attached.
    const serverDb = openDatabase(server.databasePath);
    try {
      const speaker = serverDb.$client
        .prepare(
          `select sp.email from speakers sp join session_speakers ss on ss.speaker_id = sp.id
           join sessions s on s.id = ss.session_id where s.slug = ? and sp.email is not null`,
        )
        .get(SLUG) as { email: string };
      const messages = serverDb.$client
        .prepare("select payload from outbox where template = 'programme.release' and recipient = ?")
        .all(speaker.email.toLowerCase()) as { payload: string }[];
      expect(messages).toHaveLength(1);
      const payload = JSON.parse(messages[0]!.payload);
      expect(payload.release).toBe(2);
      expect(payload.sessions).toEqual([expect.objectContaining({ slug: SLUG, kind: "moved" })]);
    } finally {
      serverDb.$client.close();
    }
  });
});
