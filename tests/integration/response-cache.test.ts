// The response cache of public answers (decision 29), against the real server: two cached servers
// and one with the cache off, all on one database. Whatever the cache answers equals a fresh render
// for that viewer, cold and warm, on every public page and export; a signed-in person's stars never
// reach anyone else; a release shows at once on the next request of every process; the organizers'
// preview is never kept; compression keeps ETags, 304 and Vary right.
import { request as httpRequestRaw } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../db/client.ts";
import { publishRelease } from "../../src/lib/programme/releases.ts";
import { contentSessions, contentSpeakers, isListed } from "../helpers/content.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let cached: TestServer;
let second: TestServer;
let fresh: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let db: Db;
/** Signed-in people of every viewer class, by name (cookies valid on every server: one database). */
const cookies: Record<string, string> = {};
let industry: Client;
let organizer: Client;

const sessions = contentSessions().filter(isListed);
const speakers = contentSpeakers();
const PUBLIC_SLUG = sessions.find((s) => (s.audience ?? "public") === "public")!.slug;

/** Every public page and export, in both languages where the site has them, with the programme's filters. */
function publicPaths(): string[] {
  const day = sessions[0].day!;
  return [
    "/",
    "/fr",
    "/programme",
    "/programme?view=list",
    `/programme?day=${day}&view=list`,
    `/programme?view=list&day=${day}`,
    "/programme?language=fr",
    "/fr/programme",
    "/fr/programme?view=list",
    "/speakers",
    "/fr/speakers",
    "/changelog",
    "/fr/changelog",
    "/changelog.rss",
    "/fr/changelog.rss",
    "/schedule.ics",
    "/schedule.json",
    "/schedule.xml",
    "/embed/schedule.json",
    "/fr/embed/schedule.json",
    "/embed/schedule.js",
    "/sitemap.xml",
    "/robots.txt",
    "/about",
    "/fr/about",
    "/venue",
    "/faq",
    ...sessions.flatMap((s) => [`/sessions/${s.slug}`, `/fr/sessions/${s.slug}`, `/sessions/${s.slug}.ics`]),
    ...speakers.flatMap((s) => [`/speakers/${s.slug}`, `/fr/speakers/${s.slug}`, `/speakers/${s.slug}.ics`]),
  ];
}

interface Raw {
  status: number;
  headers: import("node:http").IncomingHttpHeaders;
  body: Buffer;
}

/** One GET with exactly these headers, the body as sent (not decompressed). */
function rawGet(server: TestServer, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const request = httpRequestRaw(server.url + path, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

/** The identity bytes of an answer, whatever its encoding. */
function decoded(raw: Raw): string {
  const encoding = raw.headers["content-encoding"];
  if (encoding === "br") return brotliDecompressSync(raw.body).toString("utf8");
  if (encoding === "gzip") return gunzipSync(raw.body).toString("utf8");
  return raw.body.toString("utf8");
}

/** Runs `task` over `items`, `width` at a time. */
async function pool<T>(items: T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

beforeAll(async () => {
  cached = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" });
  const shared = { MAIL_WORKER: "off", DATABASE_PATH: cached.databasePath, SITE_URL: cached.url };
  [second, fresh] = await Promise.all([startServer(shared), startServer({ ...shared, RESPONSE_CACHE: "off" })]);
  accounts = serverAccounts(cached);
  db = openDatabase(cached.databasePath);
  const who = people(cached, accounts);
  const plain = await who.signedIn("plain@example.org");
  organizer = await who.staff("organizer@example.org", ["organizer"]);
  await who.registerAndConfirm("industry@example.org", "industry");
  industry = await who.signedIn("industry@example.org");
  const police = await who.registerAndConfirm("inspector@interieur.gouv.fr", "law-enforcement");
  await who.approve(organizer, police);
  const inspector = await who.signedIn("inspector@interieur.gouv.fr");
  for (const [name, client] of Object.entries({ plain, industry, inspector, organizer })) cookies[name] = client.cookieHeader;
}, 120_000);

afterAll(async () => {
  accounts?.close();
  db?.$client.close();
  await Promise.all([second?.stop(), fresh?.stop()]);
  await cached?.stop();
});

describe("the response cache", () => {
  it(
    "answers every viewer class exactly as a fresh render would, cold and warm, on every public page and export",
    { timeout: 600_000 },
    async () => {
      const paths = publicPaths();
      const classes = ["anonymous", ...Object.keys(cookies)];
      const headersOf = (name: string): Record<string, string> => ({
        "Accept-Encoding": "br, gzip",
        ...(name === "anonymous" ? {} : { Cookie: cookies[name] }),
      });
      const expected = new Map<string, { status: number; body: string }>();
      await pool(
        classes.flatMap((name) => paths.map((path) => ({ name, path }))),
        4,
        async ({ name, path }) => {
          const raw = await rawGet(fresh, path, headersOf(name));
          expected.set(`${name} ${path}`, { status: raw.status, body: decoded(raw) });
        },
      );
      // Signed-in people first (on a cold cache: nothing of theirs may be kept), then anonymous
      // visitors cold and warm, then the signed-in again on the warm cache.
      const order = [...classes.slice(1), "anonymous", "anonymous", ...classes.slice(1)];
      let anonymousPasses = 0;
      for (const name of order) {
        const pass = name === "anonymous" ? anonymousPasses++ : 0;
        await pool(paths, 4, async (path) => {
          const raw = await rawGet(cached, path, headersOf(name));
          const want = expected.get(`${name} ${path}`)!;
          expect(raw.status, `${name} ${path}`).toBe(want.status);
          expect(decoded(raw) === want.body, `${name} ${path}: the cached answer differs from a fresh render`).toBe(true);
          if (raw.status === 200 && name !== "anonymous") expect(raw.headers["cache-control"], `${name} ${path}`).toMatch(/\bprivate\b/);
          if (raw.status === 200 && name === "anonymous")
            expect(raw.headers["cache-control"], path).toMatch(/^public, .*s-maxage=\d+.*stale-while-revalidate=\d+/);
          // Signed-in answers are never kept; anonymous ones are, the second time from memory.
          if (name !== "anonymous") expect(raw.headers["x-cache"], `${name} ${path}`).toBeUndefined();
          else if (raw.status === 200 && pass > 0) expect(raw.headers["x-cache"], path).toBe("hit");
        });
      }
      // The restricted sessions make the classes' answers differ (else the walk would prove little).
      const le = sessions.find((s) => s.audience === "law-enforcement")!.slug;
      expect(expected.get(`inspector /sessions/${le}`)!.body).not.toBe(expected.get(`anonymous /sessions/${le}`)!.body);
      expect(expected.get("inspector /schedule.json")!.body).not.toBe(expected.get("anonymous /schedule.json")!.body);
    },
  );

  it("answers from memory until the generation moves: a release or any programme edit (a photo included)", async () => {
    await rawGet(cached, "/changelog");
    const warm = await rawGet(cached, "/changelog", { "Accept-Encoding": "br" });
    expect(warm.headers["x-cache"]).toBe("hit");
    expect((await rawGet(cached, "/changelog", { "Accept-Encoding": "br" })).headers["x-cache"]).toBe("hit");
    // Any programme edit bumps the change counter (a speaker's photo is a column of speakers): the next request renders again.
    db.$client.prepare("update speakers set photo = photo where id = (select min(id) from speakers)").run();
    expect((await rawGet(cached, "/changelog", { "Accept-Encoding": "br" })).headers["x-cache"]).toBe("miss");
    expect((await rawGet(cached, "/changelog", { "Accept-Encoding": "br" })).headers["x-cache"]).toBe("hit");
    // Queries other than the programme's filters are rendered each time, never kept.
    for (let i = 0; i < 2; i++) expect((await rawGet(cached, "/programme?q=keynote")).headers["x-cache"]).toBeUndefined();
    for (let i = 0; i < 2; i++) expect((await rawGet(cached, "/programme?day=x&day=y")).headers["x-cache"]).toBeUndefined();
  });

  it("shows a release on the very next request of every process", async () => {
    const slug = PUBLIC_SLUG;
    for (const server of [cached, second]) {
      await rawGet(server, "/programme");
      await rawGet(server, `/sessions/${slug}`);
      expect(decoded(await rawGet(server, `/sessions/${slug}`))).not.toContain("Renamed for the release test");
    }
    db.$client.prepare("update sessions set title_en = 'Renamed for the release test' where slug = ?").run(slug);
    // An edit alone is not public...
    for (const server of [cached, second])
      expect(decoded(await rawGet(server, `/sessions/${slug}`))).not.toContain("Renamed for the release test");
    // ...a release is, at once, on both processes, in every output.
    publishRelease(db, { id: null, email: "test@example.org" }, "release test");
    for (const server of [cached, second]) {
      expect(decoded(await rawGet(server, `/sessions/${slug}`, { "Accept-Encoding": "br" }))).toContain("Renamed for the release test");
      expect(decoded(await rawGet(server, "/programme", { "Accept-Encoding": "gzip" }))).toContain("Renamed for the release test");
      expect(decoded(await rawGet(server, "/schedule.json"))).toContain("Renamed for the release test");
    }
  });

  it("never gives a signed-in person's stars or account link to anyone else", async () => {
    const starred = await industry.post(`/sessions/${PUBLIC_SLUG}?_action=toggleStar`, { slug: PUBLIC_SLUG, starred: "true" });
    expect(starred.status).toBe(303);
    // The person's own pages first, on a cold key...
    db.$client.prepare("update rooms set name = name where id = (select min(id) from rooms)").run();
    for (const path of [`/sessions/${PUBLIC_SLUG}`, "/programme?view=list"]) {
      const mine = decoded(await rawGet(cached, path, { Cookie: industry.cookieHeader }));
      expect(mine, path).toContain("star-button--on");
      expect(mine, path).toContain('href="/account"');
      for (let i = 0; i < 2; i++) {
        const theirs = await rawGet(cached, path, { "Accept-Encoding": "br" });
        const body = decoded(theirs);
        expect(body, path).not.toContain("star-button--on");
        expect(body, path).not.toContain('href="/account"');
        expect(body, path).toBe(decoded(await rawGet(fresh, path)));
      }
    }
  });

  it("never keeps the organizers' preview of an unreleased programme", async () => {
    const preview = async () =>
      decoded(await rawGet(cached, "/admin/programme/preview", { Cookie: organizer.cookieHeader, "Accept-Encoding": "br" }));
    const first = await preview();
    expect(first).toContain("<html");
    db.$client.prepare("update sessions set title_en = 'Previewed only' where slug = ?").run(PUBLIC_SLUG);
    const response = await rawGet(cached, "/admin/programme/preview", { Cookie: organizer.cookieHeader });
    expect(response.headers["cache-control"]).toMatch(/\bprivate\b|no-store/);
    expect(await preview()).toContain("Previewed only");
    expect(decoded(await rawGet(cached, `/sessions/${PUBLIC_SLUG}`))).not.toContain("Previewed only");
    // An anonymous request of the preview is turned away, and what it got is not kept either.
    const anonymous = await rawGet(cached, "/admin/programme/preview");
    expect(anonymous.status).not.toBe(200);
  });
});

describe("compression and validators", () => {
  it("sends brotli, gzip or identity by Accept-Encoding, one ETag per encoding, 304 for any of them, Vary on both", async () => {
    for (const server of [cached, fresh]) {
      await rawGet(server, "/programme");
      const identity = await rawGet(server, "/programme");
      const br = await rawGet(server, "/programme", { "Accept-Encoding": "gzip, deflate, br" });
      const gzip = await rawGet(server, "/programme", { "Accept-Encoding": "gzip;q=1, br;q=0" });
      expect(identity.headers["content-encoding"]).toBeUndefined();
      expect(br.headers["content-encoding"]).toBe("br");
      expect(gzip.headers["content-encoding"]).toBe("gzip");
      expect(br.body.length).toBeLessThan(identity.body.length / 4);
      expect(decoded(br)).toBe(identity.body.toString("utf8"));
      expect(decoded(gzip)).toBe(identity.body.toString("utf8"));
      const etag = identity.headers.etag!;
      expect(etag).toMatch(/^"[^"]+"$/);
      expect(br.headers.etag).toBe(etag.replace(/"$/, '-br"'));
      expect(gzip.headers.etag).toBe(etag.replace(/"$/, '-gz"'));
      for (const answer of [identity, br, gzip]) {
        const vary = (answer.headers.vary ?? "").toLowerCase();
        expect(vary).toContain("accept-encoding");
        expect(vary).toContain("cookie");
        if (server === cached) expect(answer.headers["content-length"]).toBe(String(answer.body.length));
      }
      // A validator of any encoding (weak or strong) matches the representation; another does not.
      for (const tag of [etag, br.headers.etag!, `W/${gzip.headers.etag}`]) {
        const again = await rawGet(server, "/programme", { "Accept-Encoding": "br", "If-None-Match": tag });
        expect(again.status, tag).toBe(304);
        expect(again.body.length).toBe(0);
        expect(again.headers.etag).toBe(br.headers.etag);
        expect(again.headers.vary?.toLowerCase()).toContain("accept-encoding");
      }
      expect((await rawGet(server, "/programme", { "If-None-Match": '"other"' })).status).toBe(200);
      // HEAD: the headers of GET, no body.
      const head = await rawGet(server, "/programme", { "Accept-Encoding": "br" }, "HEAD");
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
    }
  });

  it("compresses signed-in pages on the fly, with the same validator rules, and keeps them private", async () => {
    const headers = { Cookie: industry.cookieHeader };
    const identity = await rawGet(cached, "/programme", headers);
    const br = await rawGet(cached, "/programme", { ...headers, "Accept-Encoding": "br" });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["cache-control"]).toMatch(/\bprivate\b/);
    expect(decoded(br)).toBe(identity.body.toString("utf8"));
    expect(br.headers.etag).toBe(identity.headers.etag!.replace(/"$/, '-br"'));
    expect(
      (await rawGet(cached, "/programme", { ...headers, "Accept-Encoding": "br", "If-None-Match": identity.headers.etag! })).status,
    ).toBe(304);
    // Small answers are not compressed.
    const robots = await rawGet(cached, "/robots.txt", { "Accept-Encoding": "br" });
    expect(robots.headers["content-encoding"]).toBeUndefined();
  });

  it("serves the build's assets immutable, nosniff and compressed", async () => {
    const page = decoded(await rawGet(cached, "/programme"));
    const css = /href="(\/_astro\/[^"]+\.css)"/.exec(page)![1];
    const identity = await rawGet(cached, css);
    const br = await rawGet(cached, css, { "Accept-Encoding": "br" });
    for (const answer of [identity, br]) {
      expect(answer.status).toBe(200);
      expect(answer.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["content-type"]).toMatch(/^text\/css/);
    }
    expect(br.headers["content-encoding"]).toBe("br");
    expect(decoded(br)).toBe(identity.body.toString("utf8"));
    expect((await rawGet(cached, css, { "If-None-Match": br.headers.etag! })).status).toBe(304);
    expect((await rawGet(cached, "/_astro/not-in-the-build.css")).status).toBe(404);
  });
});
