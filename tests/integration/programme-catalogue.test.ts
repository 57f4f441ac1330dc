// The organizers' catalogue over HTTP: rooms, tracks, formats and speakers. Every Action with valid
// input, invalid input (an error by the field, nothing changed) and from people who may not use it;
// two organizers saving one speaker; a photo uploaded, stripped of its metadata and served; and the
// 64 KiB body limit that every other form keeps.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { speakerProfile } from "../fixtures/cfp.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let organizer: Client;
let secondOrganizer: Client;
let outsiders: [string, Client][];

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
  secondOrganizer = await who.staff("organizer-two@example.org", ["organizer"]);
  outsiders = [
    ["anonymous", new Client(server)],
    ["attendee", await who.signedIn("attendee@example.org")],
    ["reviewer", await who.staff("reviewer@example.org", ["reviewer"])],
    ["organizer without second factor", await who.signedIn("half@example.org", ["organizer"])],
  ];
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  all: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[],
};
/** Everything the catalogue's Actions could change. */
const snapshot = () => ({
  rooms: sql.all("select * from rooms order by id"),
  tracks: sql.all("select * from tracks order by id"),
  formats: sql.all("select * from formats order by id"),
  speakers: sql.all("select * from speakers order by id"),
  sessionSpeakers: sql.all("select * from session_speakers order by session_id, speaker_id"),
  media: sql.all("select hash from media order by id"),
  audit: sql.get<{ n: number }>("select count(*) as n from audit_log").n,
});
const updatedAtOf = (table: string, slug: string) =>
  String(sql.get<{ updated_at: number }>(`select updated_at from ${table} where slug = ?`, slug).updated_at);
const lastAudit = () =>
  sql.get<{ action: string; subject_id: string; actor_email: string }>("select * from audit_log order by id desc limit 1");
const usedRoom = () => sql.get<{ slug: string }>("select slug from rooms where id in (select room_id from sessions) limit 1").slug;
const usedSpeaker = () =>
  sql.get<{ slug: string }>("select slug from speakers where id in (select speaker_id from session_speakers) order by id limit 1").slug;

/** Posts multipart form data (a file upload) as a browser does. */
function postMultipart(client: Client, path: string, form: FormData) {
  return fetch(server.url + path, {
    method: "POST",
    redirect: "manual",
    headers: { Origin: server.url, Cookie: client.cookieHeader },
    body: form,
  });
}

const speakerFields = (over: Record<string, string | string[]> = {}) => ({
  name: "Zoé Exemple",
  affiliation: "Institut Exemple",
  country: "BE",
  bio: "Researcher in *applied* cryptography.",
  email: "zoe@example.org",
  language: "fr",
  linkLabel: ["Website", ""],
  linkUrl: ["https://example.org/zoe", ""],
  availabilityDay: ["2013-07-02", "2013-07-02"],
  availabilityFrom: ["", ""],
  availabilityTo: ["", ""],
  ...over,
});

describe("pages", () => {
  it("the organizer opens every catalogue page, in English and French, linked from the programme page", async () => {
    const home = await (await organizer.get("/admin/programme")).text();
    for (const page of ["rooms", "tracks", "formats", "speakers"]) expect(home).toContain(`href="/admin/programme/${page}"`);
    const speaker = usedSpeaker();
    const pages: [string, string][] = [
      ["/admin/programme/rooms", "<h1>Rooms</h1>"],
      ["/fr/admin/programme/rooms", "<h1>Salles</h1>"],
      ["/admin/programme/tracks", "<h1>Tracks</h1>"],
      ["/fr/admin/programme/tracks", "<h1>Thématiques</h1>"],
      ["/admin/programme/formats", "<h1>Formats</h1>"],
      ["/fr/admin/programme/formats", "<h1>Formats</h1>"],
      ["/admin/programme/speakers", "<h1>Speakers</h1>"],
      ["/fr/admin/programme/speakers", "<h1>Intervenants</h1>"],
      ["/admin/programme/speakers/new", "<h1>New speaker</h1>"],
      ["/fr/admin/programme/speakers/new", "<h1>Nouvel intervenant</h1>"],
      [`/admin/programme/speakers/${speaker}`, 'name="updatedAt"'],
      [`/fr/admin/programme/speakers/${speaker}`, 'name="updatedAt"'],
    ];
    for (const [path, text] of pages) {
      const response = await organizer.get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control"), path).toContain("no-store");
      expect(await response.text(), path).toContain(text);
    }
    const unknown = await organizer.get("/admin/programme/speakers/no-such-speaker");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("cache-control")).toContain("no-store");
  });

  it("the speakers list is searched without regard to accents or case", async () => {
    await organizer.post("/admin/programme/speakers/new?_action=speakerCreate", speakerFields({ name: "Élodie Dupré-Search" }));
    const html = await (await organizer.get("/admin/programme/speakers?q=ELODIE%20dupre")).text();
    expect(html).toContain("Élodie Dupré-Search");
    expect(html).toContain("1 speaker");
    const none = await (await organizer.get("/admin/programme/speakers?q=zzzz-nobody")).text();
    expect(none).toContain("No speaker matches.");
  });

  it("lists how many sessions use each room (each its own count), and a speaker who gave no name yet by words, not an empty link", async () => {
    const rooms = await (await organizer.get("/admin/programme/rooms")).text();
    const counts = sql.all<{ name: string; n: number }>(
      "select r.name, (select count(*) from sessions s where s.room_id = r.id) as n from rooms r order by r.position, r.id",
    );
    expect(new Set(counts.map((c) => c.n)).size).toBeGreaterThan(1);
    for (const { name, n } of counts)
      expect(rooms).toMatch(
        new RegExp(
          `<th scope="row">${name}</th>\\s*<td data-label="Capacity">\\d+</td>\\s*<td data-label="Used by">${n} sessions? or proposals?</td>`,
        ),
      );
    // A call-for-papers account that has not filled in its profile yet.
    speakerProfile(accounts.db, "unnamed@example.org", { slug: "speaker-unnamed", name: "" }, { linked: false });
    const list = await (await organizer.get("/admin/programme/speakers")).text();
    expect(list).toContain('<a href="/admin/programme/speakers/speaker-unnamed">(name not given yet)</a>');
    expect(await (await organizer.get("/fr/admin/programme/speakers")).text()).toContain(
      '<a href="/fr/admin/programme/speakers/speaker-unnamed">(nom pas encore indiqué)</a>',
    );
  });
});

describe("rooms, tracks and formats", () => {
  it("adds, edits, reorders and deletes a room; each change redirects with a notice and is audited", async () => {
    const created = await organizer.post("/admin/programme/rooms?_action=roomCreate", {
      name: "Salle Test",
      capacity: "25",
      description: "",
    });
    expect(created.status).toBe(303);
    expect(created.headers.get("location")).toBe("/admin/programme/rooms?done=created");
    expect(await (await organizer.get("/admin/programme/rooms?done=created")).text()).toContain("Added.");
    const room = sql.get<{ slug: string; position: number; capacity: number }>("select * from rooms where name = 'Salle Test'");
    expect(room).toMatchObject({ slug: "salle-test", capacity: 25 });
    expect(lastAudit()).toMatchObject({ action: "room.create", subject_id: "salle-test", actor_email: "organizer@example.org" });

    const updated = await organizer.post("/admin/programme/rooms?edit=salle-test&_action=roomUpdate", {
      slug: "salle-test",
      updatedAt: updatedAtOf("rooms", "salle-test"),
      name: "Salle Renommée",
      capacity: "30",
      description: "Second floor.",
    });
    expect(updated.status).toBe(303);
    expect(updated.headers.get("location")).toBe("/admin/programme/rooms?done=saved");
    expect(sql.get("select slug, name, capacity from rooms where slug = 'salle-test'")).toEqual({
      slug: "salle-test",
      name: "Salle Renommée",
      capacity: 30,
    });

    const moved = await organizer.post("/admin/programme/rooms?_action=roomMove", { slug: "salle-test", direction: "up" });
    expect(moved.status).toBe(303);
    expect(sql.get<{ position: number }>("select position from rooms where slug = 'salle-test'").position).toBe(room.position - 1);

    const deleted = await organizer.post("/admin/programme/rooms?edit=salle-test&_action=roomDelete", { slug: "salle-test" });
    expect(deleted.status).toBe(303);
    expect(sql.get("select * from rooms where slug = 'salle-test'")).toBeUndefined();
    expect(lastAudit()).toMatchObject({ action: "room.delete", subject_id: "salle-test" });
  });

  it.each([
    ["roomCreate", "rooms", { name: "", capacity: "0", description: "" }, ["Enter a whole number of seats from 1 to 100,000."]],
    ["trackCreate", "tracks", { nameEn: "Pale", nameFr: "Pâle", colour: "#fff8dc" }, ["This colour is too light to stand out on white."]],
    ["trackCreate", "tracks", { nameEn: "X", nameFr: "X", colour: "red" }, ["Enter a colour as # and six hexadecimal digits"]],
    [
      "formatCreate",
      "formats",
      { nameEn: "Odd", nameFr: "Impair", defaultDuration: "42" },
      ["Enter a length from 5 to 600 minutes, in steps of 5."],
    ],
  ])("%s refuses bad input by the field, keeps what was typed, and changes nothing", async (action, page, fields, messages) => {
    const before = snapshot();
    const response = await organizer.post(`/admin/programme/${page}?_action=${action}`, fields);
    expect(response.status).toBe(400);
    const html = await response.text();
    for (const message of messages) expect(html).toContain(message);
    expect(html).toContain('class="field__error"');
    expect(html).toContain('aria-invalid="true"');
    for (const value of Object.values(fields).filter((v) => v.length > 1)) expect(html).toContain(`value="${value}"`);
    expect(snapshot()).toEqual(before);
  });

  it("adds a track and a format", async () => {
    const track = await organizer.post("/admin/programme/tracks?_action=trackCreate", {
      nameEn: "Ethics",
      nameFr: "Éthique",
      colour: "#7a1f5c",
    });
    expect(track.status).toBe(303);
    expect(sql.get("select name_en, name_fr, colour from tracks where slug = 'ethics'")).toEqual({
      name_en: "Ethics",
      name_fr: "Éthique",
      colour: "#7a1f5c",
    });
    const format = await organizer.post("/fr/admin/programme/formats?_action=formatCreate", {
      nameEn: "Lightning talk",
      nameFr: "Présentation éclair",
      defaultDuration: "10",
    });
    expect(format.status).toBe(303);
    expect(format.headers.get("location")).toBe("/fr/admin/programme/formats?done=created");
    expect(sql.get("select default_duration from formats where slug = 'lightning-talk'")).toEqual({ default_duration: 10 });
    const edited = await organizer.post("/admin/programme/formats?edit=lightning-talk&_action=formatUpdate", {
      slug: "lightning-talk",
      updatedAt: updatedAtOf("formats", "lightning-talk"),
      nameEn: "Lightning talk",
      nameFr: "Présentation éclair",
      defaultDuration: "15",
    });
    expect(edited.status).toBe(303);
    expect(sql.get("select default_duration from formats where slug = 'lightning-talk'")).toEqual({ default_duration: 15 });
    const movedTrack = await organizer.post("/admin/programme/tracks?_action=trackMove", { slug: "ethics", direction: "up" });
    expect(movedTrack.status).toBe(303);
    expect((await organizer.post("/admin/programme/tracks?_action=trackDelete", { slug: "ethics" })).status).toBe(303);
    expect((await organizer.post("/admin/programme/formats?_action=formatDelete", { slug: "lightning-talk" })).status).toBe(303);
    expect(sql.get("select * from formats where slug = 'lightning-talk'")).toBeUndefined();
  });

  it("refuses to delete what sessions use, with a clear message", async () => {
    const before = snapshot();
    const room = usedRoom();
    const response = await organizer.post(`/admin/programme/rooms?edit=${room}&_action=roomDelete`, { slug: room });
    expect(response.status).toBe(409);
    expect(await response.text()).toMatch(/It cannot be deleted: \d+ sessions? or proposals? uses? it\./);
    const format = await organizer.post("/admin/programme/formats?_action=formatDelete", { slug: "talk" });
    expect(format.status).toBe(409);
    expect(snapshot()).toEqual(before);
  });

  it("a room saved by someone else in between is not overwritten", async () => {
    const slug = usedRoom();
    const seen = updatedAtOf("rooms", slug);
    const name = sql.get<{ name: string; capacity: number }>("select name, capacity from rooms where slug = ?", slug);
    const first = await organizer.post(`/admin/programme/rooms?edit=${slug}&_action=roomUpdate`, {
      slug,
      updatedAt: seen,
      name: name.name,
      capacity: String(name.capacity + 1),
      description: "First",
    });
    expect(first.status).toBe(303);
    const second = await secondOrganizer.post(`/admin/programme/rooms?edit=${slug}&_action=roomUpdate`, {
      slug,
      updatedAt: seen,
      name: name.name,
      capacity: "7",
      description: "Second",
    });
    expect(second.status).toBe(409);
    const html = await second.text();
    expect(html).toContain("Someone else saved this after you opened it.");
    expect(html).toContain("Capacity: 7");
    expect(sql.get("select capacity, description from rooms where slug = ?", slug)).toEqual({
      capacity: name.capacity + 1,
      description: "First",
    });
  });
});

describe("speakers", () => {
  it("creates a speaker, then edits them; the slug stays when the name changes", async () => {
    const created = await organizer.post("/admin/programme/speakers/new?_action=speakerCreate", speakerFields());
    expect(created.status).toBe(303);
    expect(created.headers.get("location")).toBe("/admin/programme/speakers/zoe-exemple?done=created");
    const row = sql.get<Record<string, unknown>>("select * from speakers where slug = 'zoe-exemple'");
    expect(row).toMatchObject({ name: "Zoé Exemple", country: "BE", email: "zoe@example.org", language: "fr" });
    expect(JSON.parse(row.links as string)).toEqual([{ label: "Website", url: "https://example.org/zoe" }]);
    expect(lastAudit()).toMatchObject({ action: "speaker.create", subject_id: "zoe-exemple" });

    const page = await (await organizer.get("/admin/programme/speakers/zoe-exemple?done=created")).text();
    expect(page).toContain("Added.");
    expect(page).toContain('value="https://example.org/zoe"');

    const saved = await organizer.post(
      "/admin/programme/speakers/zoe-exemple?_action=speakerUpdate",
      speakerFields({
        slug: "zoe-exemple",
        updatedAt: updatedAtOf("speakers", "zoe-exemple"),
        name: "Zoé Exemple-Renommée",
        availabilityFrom: ["09:00", ""],
        availabilityTo: ["11:30", ""],
      }),
    );
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/admin/programme/speakers/zoe-exemple?done=saved");
    const after = sql.get<{ name: string; availability: string }>("select name, availability from speakers where slug = 'zoe-exemple'");
    expect(after.name).toBe("Zoé Exemple-Renommée");
    // 09:00 and 11:30 in Lyon in July (UTC+2).
    expect(JSON.parse(after.availability)).toEqual([{ from: "2013-07-02T07:00:00.000Z", to: "2013-07-02T09:30:00.000Z" }]);
    const edit = await (await organizer.get("/admin/programme/speakers/zoe-exemple")).text();
    expect(edit).toContain('value="09:00"');
    expect(edit).toContain('value="11:30"');
  });

  it.each([
    [{ name: "" }, "name", "required"],
    [{ country: "ZZ" }, "country", ""],
    [{ email: "nope" }, "email", ""],
    [{ linkUrl: ["javascript:alert(1)", ""] }, "links", "A link must be a full web address starting with http:// or https://."],
    [
      { availabilityFrom: ["10:00", ""], availabilityTo: ["09:00", ""] },
      "availability",
      "An availability window must end after it starts.",
    ],
    [
      { availabilityDay: ["2001-01-01", ""], availabilityFrom: ["10:00", ""], availabilityTo: ["11:00", ""] },
      "availability",
      "Choose one of the forum’s days.",
    ],
  ])("refuses %j by the field, keeps the values, changes nothing", async (over, field, message) => {
    const before = snapshot();
    const response = await organizer.post("/admin/programme/speakers/new?_action=speakerCreate", speakerFields(over));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(`href="#f-${field}"`);
    if (message) expect(html).toContain(message);
    expect(html).toContain('value="Institut Exemple"');
    expect(snapshot()).toEqual(before);
  });

  it("two organizers save one speaker: the second is told, shown the first's version, and nothing is overwritten", async () => {
    const slug = usedSpeaker();
    const pageA = await (await organizer.get(`/admin/programme/speakers/${slug}`)).text();
    const pageB = await (await secondOrganizer.get(`/admin/programme/speakers/${slug}`)).text();
    const seenA = /name="updatedAt" value="(\d+)"/.exec(pageA)![1]!;
    const seenB = /name="updatedAt" value="(\d+)"/.exec(pageB)![1]!;
    expect(seenA).toBe(seenB);
    const current = sql.get<{ name: string }>("select name from speakers where slug = ?", slug);

    const first = await organizer.post(
      `/admin/programme/speakers/${slug}?_action=speakerUpdate`,
      speakerFields({ slug, updatedAt: seenA, name: current.name, affiliation: "Saved by the first" }),
    );
    expect(first.status).toBe(303);
    const before = snapshot();
    const second = await secondOrganizer.post(
      `/admin/programme/speakers/${slug}?_action=speakerUpdate`,
      speakerFields({ slug, updatedAt: seenB, name: current.name, affiliation: "Typed by the second" }),
    );
    expect(second.status).toBe(409);
    const html = await second.text();
    expect(html).toContain("Someone else saved this after you opened it.");
    expect(html).toContain('value="Saved by the first"');
    expect(html).toContain("Affiliation: Typed by the second");
    expect(html).toContain(`name="updatedAt" value="${updatedAtOf("speakers", slug)}"`);
    expect(snapshot()).toEqual(before);
    expect(sql.get("select affiliation from speakers where slug = ?", slug)).toEqual({ affiliation: "Saved by the first" });
  });

  it("a speaker with sessions is deleted only after confirming, which takes them off those sessions", async () => {
    const slug = usedSpeaker();
    const before = snapshot();
    const refused = await organizer.post(`/admin/programme/speakers/${slug}?_action=speakerDelete`, { slug });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("tick “Also take the speaker off these sessions”");
    expect(snapshot()).toEqual(before);

    const deleted = await organizer.post(`/admin/programme/speakers/${slug}?_action=speakerDelete`, { slug, detach: "on" });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe("/admin/programme/speakers?done=deleted");
    expect(sql.get("select * from speakers where slug = ?", slug)).toBeUndefined();
    expect(lastAudit()).toMatchObject({ action: "speaker.delete", subject_id: slug });
  });
});

describe("photos", () => {
  /** A phone photo: JPEG with camera make and a GPS position in its EXIF, rotated by its orientation tag. */
  const phonePhoto = () =>
    sharp({ create: { width: 900, height: 600, channels: 3, background: { r: 30, g: 90, b: 160 } } })
      .jpeg({ quality: 95 })
      .withExif({
        IFD0: { Make: "PhoneMaker", Model: "Secret Model 7" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "45/1 45/1 0/1", GPSLongitudeRef: "E", GPSLongitude: "4/1 50/1 0/1" },
      })
      .withMetadata({ orientation: 6 })
      .toBuffer();

  it("uploads a JPEG with GPS data; it is served as a 400x400 WebP without metadata, cached for good", async () => {
    const slug = sql.get<{ slug: string }>("select slug from speakers order by id desc limit 1").slug;
    const jpeg = await phonePhoto();
    expect((await sharp(jpeg).metadata()).exif?.includes(Buffer.from("PhoneMaker"))).toBe(true);
    const form = new FormData();
    form.set("slug", slug);
    form.set("photo", new File([jpeg], "IMG_0001.JPG", { type: "image/jpeg" }));
    const response = await postMultipart(organizer, `/admin/programme/speakers/${slug}?_action=speakerPhoto`, form);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/admin/programme/speakers/${slug}?done=photo`);

    const photo = sql.get<{ photo: string }>("select photo from speakers where slug = ?", slug).photo;
    expect(photo).toMatch(/^\/media\/[0-9a-f]{64}\.webp$/);
    expect(await (await organizer.get(`/admin/programme/speakers/${slug}?done=photo`)).text()).toContain(`src="${photo}"`);
    expect(lastAudit()).toMatchObject({ action: "speaker.photo", subject_id: slug });

    const served = await fetch(server.url + photo);
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("image/webp");
    expect(served.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(served.headers.get("x-content-type-options")).toBe("nosniff");
    const bytes = Buffer.from(await served.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif, meta.icc, meta.xmp]).toEqual([
      "webp",
      400,
      400,
      undefined,
      undefined,
      undefined,
    ]);
    expect(bytes.includes(Buffer.from("PhoneMaker"))).toBe(false);

    expect((await fetch(`${server.url}/media/${"0".repeat(64)}.webp`)).status).toBe(404);
    expect((await fetch(`${server.url}/media/not-a-hash.webp`)).status).toBe(404);
  });

  it("a large upload (over 64 KiB, under 5 MB) is accepted", async () => {
    const slug = sql.get<{ slug: string }>("select slug from speakers order by id limit 1").slug;
    const noisy = await sharp(Buffer.from(Array.from({ length: 600 * 600 * 3 }, (_, i) => (i * 7919) % 251)), {
      raw: { width: 600, height: 600, channels: 3 },
    })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noisy.byteLength).toBeGreaterThan(512 * 1024);
    const form = new FormData();
    form.set("slug", slug);
    form.set("photo", new File([noisy], "noise.png", { type: "image/png" }));
    const response = await postMultipart(organizer, `/admin/programme/speakers/${slug}?_action=speakerPhoto`, form);
    expect(response.status).toBe(303);
  });

  it("refuses a file that is not an image, by the field, and changes nothing", async () => {
    const slug = sql.get<{ slug: string }>("select slug from speakers order by id limit 1").slug;
    const before = snapshot();
    const form = new FormData();
    form.set("slug", slug);
    form.set("photo", new File(["<svg xmlns='http://www.w3.org/2000/svg'/>"], "photo.jpg", { type: "image/jpeg" }));
    const response = await postMultipart(organizer, `/admin/programme/speakers/${slug}?_action=speakerPhoto`, form);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("This file is not a JPEG, PNG or WebP image.");
    expect(html).toContain('href="#f-photo"');
    expect(snapshot()).toEqual(before);
  });

  it("other forms still get 413 over 64 KiB; so does an upload from someone who may not upload", async () => {
    const before = snapshot();
    const big = await organizer.post("/admin/programme/rooms?_action=roomCreate", {
      name: "Huge",
      capacity: "10",
      description: "x".repeat(70 * 1024),
    });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain("This submission is too large.");
    const form = new FormData();
    form.set("slug", "anyone");
    form.set("photo", new File([Buffer.alloc(100 * 1024, 1)], "a.jpg", { type: "image/jpeg" }));
    const attendee = outsiders.find(([name]) => name === "attendee")![1];
    const upload = await postMultipart(attendee, "/admin/programme/speakers/anyone?_action=speakerPhoto", form);
    expect([403, 413]).toContain(upload.status);
    const rpc = await fetch(`${server.url}/_actions/roomCreate`, {
      method: "POST",
      headers: { Origin: server.url, Cookie: organizer.cookieHeader, "Content-Type": "application/x-www-form-urlencoded" },
      body: `name=Huge&capacity=10&description=${"x".repeat(70 * 1024)}`,
    });
    expect(rpc.status).toBe(413);
    expect(snapshot()).toEqual(before);
  });
});

describe("authorization", () => {
  it("refuses every catalogue Action to everyone but an organizer who gave the second factor, and changes nothing", async () => {
    const speaker = usedSpeaker();
    const room = usedRoom();
    const actions: [string, string, Record<string, string | string[]>][] = [
      ["/admin/programme/rooms", "roomCreate", { name: "Intruder", capacity: "5", description: "" }],
      [
        "/admin/programme/rooms",
        "roomUpdate",
        { slug: room, updatedAt: updatedAtOf("rooms", room), name: "Intruder", capacity: "5", description: "" },
      ],
      ["/admin/programme/rooms", "roomDelete", { slug: room }],
      ["/admin/programme/rooms", "roomMove", { slug: room, direction: "down" }],
      ["/admin/programme/tracks", "trackCreate", { nameEn: "Intruder", nameFr: "Intrus", colour: "#1f5fa8" }],
      [
        "/admin/programme/tracks",
        "trackUpdate",
        {
          slug: "cybercrime-prevention",
          updatedAt: updatedAtOf("tracks", "cybercrime-prevention"),
          nameEn: "X",
          nameFr: "X",
          colour: "#1f5fa8",
        },
      ],
      ["/admin/programme/tracks", "trackDelete", { slug: "cybercrime-prevention" }],
      ["/admin/programme/tracks", "trackMove", { slug: "cybercrime-prevention", direction: "down" }],
      ["/admin/programme/formats", "formatCreate", { nameEn: "Intruder", nameFr: "Intrus", defaultDuration: "30" }],
      [
        "/admin/programme/formats",
        "formatUpdate",
        { slug: "talk", updatedAt: updatedAtOf("formats", "talk"), nameEn: "X", nameFr: "X", defaultDuration: "30" },
      ],
      ["/admin/programme/formats", "formatDelete", { slug: "demo" }],
      ["/admin/programme/speakers/new", "speakerCreate", speakerFields({ name: "Intruder" })],
      [
        `/admin/programme/speakers/${speaker}`,
        "speakerUpdate",
        speakerFields({ slug: speaker, updatedAt: updatedAtOf("speakers", speaker) }),
      ],
      [`/admin/programme/speakers/${speaker}`, "speakerDelete", { slug: speaker, detach: "on" }],
      [`/admin/programme/speakers/${speaker}`, "speakerPhotoRemove", { slug: speaker }],
    ];
    const before = snapshot();
    const failures: string[] = [];
    for (const [page, action, fields] of actions) {
      for (const [name, client] of outsiders) {
        const response = await client.post(`${page}?_action=${action}`, fields);
        await response.arrayBuffer();
        const location = response.headers.get("location") ?? "";
        const refused = response.status === 401 || response.status === 403 || (response.status === 303 && /\/signin/.test(location));
        if (!refused) failures.push(`${action} as ${name}: ${response.status} ${location}`);
      }
    }
    const jpeg = await smallJpeg();
    for (const [name, client] of outsiders) {
      const form = new FormData();
      form.set("slug", speaker);
      form.set("photo", new File([jpeg], "p.jpg", { type: "image/jpeg" }));
      const response = await postMultipart(client, `/admin/programme/speakers/${speaker}?_action=speakerPhoto`, form);
      const location = response.headers.get("location") ?? "";
      if (!(response.status === 401 || response.status === 403 || (response.status === 303 && /\/signin/.test(location))))
        failures.push(`speakerPhoto as ${name}: ${response.status} ${location}`);
    }
    expect(failures).toEqual([]);
    expect(snapshot()).toEqual(before);
  });
});

const smallJpeg = () =>
  sharp({ create: { width: 300, height: 300, channels: 3, background: "#224466" } })
    .jpeg()
    .toBuffer();
