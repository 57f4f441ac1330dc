import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { agendaStars } from "../../../db/schema/agenda.ts";
import { users } from "../../../db/schema/auth.ts";
import { registrations } from "../../../db/schema/registration.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { loadProgramme } from "./queries.ts";
import { releaseMails } from "./release-mail.ts";
import { publishRelease } from "./releases.ts";

// The demo edition's sessions (content/programme/sessions) and their speakers' addresses.
const KEYNOTE = "opening-keynote-anticipating-crime";
const CLOSING = "closing-keynote-research-agenda";
const LAW_ENFORCEMENT = "live-memory-acquisition-lab";
const KEYNOTE_SPEAKER = "a.dupont-varenne@example.gov";

let db: Db;

beforeEach(() => {
  db = openDatabase(":memory:");
  seedIfEmpty(db);
});

const sessionId = (slug: string) => (db.$client.prepare("select id from sessions where slug = ?").get(slug) as { id: number }).id;

function addUser(email: string, language: "en" | "fr" = "en"): number {
  return db.insert(users).values({ email, language }).returning({ id: users.id }).get().id;
}

function star(userId: number, ...slugs: string[]) {
  for (const slug of slugs)
    db.insert(agendaStars)
      .values({ userId, sessionId: sessionId(slug) })
      .run();
}

/** Moves a session one hour later in the live programme. */
function moveLater(slug: string) {
  db.$client.prepare("update sessions set starts_at = starts_at + 3600000, ends_at = ends_at + 3600000 where slug = ?").run(slug);
}

function outbox() {
  return (
    db.$client.prepare("select template, language, recipient, payload from outbox order by recipient").all() as {
      template: string;
      language: string;
      recipient: string;
      payload: string;
    }[]
  ).map((row) => ({ ...row, payload: JSON.parse(row.payload) as { release: number; sessions: { slug: string; title: string }[] } }));
}

const actor = { id: null, email: "o@example.org" };

describe("release e-mails", () => {
  it("tell nobody on the first release", () => {
    const programme = loadProgramme(db);
    expect(releaseMails(db, 1, null, programme)).toEqual([]);
    // The demo's own first release queued nothing.
    expect(outbox()).toEqual([]);
  });

  it("tell nobody when nothing changed", () => {
    star(addUser("ada@example.org"), KEYNOTE);
    expect(publishRelease(db, actor, "Same again")).toBe(2);
    expect(outbox()).toEqual([]);
  });

  it("tell the speakers and the starrers, once per person, in their language, of what they may see", () => {
    const ada = addUser("ada@example.org", "fr");
    star(ada, KEYNOTE, CLOSING, LAW_ENFORCEMENT);
    const bob = addUser("bob@example.org");
    star(bob, LAW_ENFORCEMENT);
    const carol = addUser("carol@example.org");
    star(carol, "botnet-mitigation-year-in-review");
    for (const slug of [KEYNOTE, CLOSING, LAW_ENFORCEMENT]) moveLater(slug);

    expect(publishRelease(db, actor, "Later")).toBe(2);
    const rows = outbox();
    expect(rows.every((r) => r.template === "programme.release" && r.payload.release === 2)).toBe(true);
    const byRecipient = new Map(rows.map((r) => [r.recipient, r]));
    expect(rows).toHaveLength(byRecipient.size);

    // The keynote's speaker hears of the keynote in the language of her profile (French), with no account.
    expect(byRecipient.get(KEYNOTE_SPEAKER)).toMatchObject({ language: "fr" });
    expect(byRecipient.get(KEYNOTE_SPEAKER)!.payload.sessions.map((s) => s.slug)).toEqual([KEYNOTE]);

    // A starrer without a registration: one message, in French, for both keynotes, not the law-enforcement lab.
    const mail = byRecipient.get("ada@example.org")!;
    expect(mail.language).toBe("fr");
    expect(mail.payload.sessions.map((s) => s.slug).sort()).toEqual([CLOSING, KEYNOTE].sort());
    expect(mail.payload.sessions[0]).toMatchObject({ kind: "moved", startsAt: expect.any(String), room: expect.any(String) });
    expect(JSON.stringify(mail.payload)).not.toMatch(/nonce|secret|token/i);

    // Someone who starred only what they may not see, or an unchanged session, hears nothing.
    expect(byRecipient.has("bob@example.org")).toBe(false);
    expect(byRecipient.has("carol@example.org")).toBe(false);

    // The lab's speakers always hear of their own session.
    const programme = loadProgramme(db);
    const lab = programme.sessions.find((s) => s.slug === LAW_ENFORCEMENT)!;
    const labSpeakers = programme.speakers.filter((s) => lab.speakerIds.includes(s.id) && s.email).map((s) => s.email!.toLowerCase());
    expect(labSpeakers.length).toBeGreaterThan(0);
    for (const email of labSpeakers) expect(byRecipient.get(email)!.payload.sessions.map((s) => s.slug)).toContain(LAW_ENFORCEMENT);
  });

  it("tell the speakers of a restricted session whose title the public may not see", () => {
    db.$client.prepare("update sessions set title_public = 0 where slug = ?").run(LAW_ENFORCEMENT);
    expect(publishRelease(db, actor, "Hide the lab's title")).toBe(2);
    // Someone without a law-enforcement registration starred it: they may not even see its title.
    star(addUser("curious@example.org"), LAW_ENFORCEMENT);
    moveLater(LAW_ENFORCEMENT);
    expect(publishRelease(db, actor, "Later lab")).toBe(3);
    const programme = loadProgramme(db);
    const lab = programme.sessions.find((s) => s.slug === LAW_ENFORCEMENT)!;
    const speakers = programme.speakers.filter((s) => lab.speakerIds.includes(s.id) && s.email).map((s) => s.email!.toLowerCase());
    expect(speakers.length).toBeGreaterThan(0);
    const rows = outbox().filter((r) => r.payload.release === 3);
    expect(rows.map((r) => r.recipient).sort()).toEqual([...speakers].sort());
    for (const row of rows) expect(row.payload.sessions).toEqual([expect.objectContaining({ slug: LAW_ENFORCEMENT, kind: "moved" })]);
  });

  it("write to a speaker in the language of their profile", () => {
    db.$client.prepare("update speakers set language = 'fr' where email = ?").run(KEYNOTE_SPEAKER);
    moveLater(KEYNOTE);
    expect(publishRelease(db, actor, "Later")).toBe(2);
    expect(outbox().find((r) => r.recipient === KEYNOTE_SPEAKER)).toMatchObject({ language: "fr" });
  });

  it("tell a confirmed law-enforcement attendee of the law-enforcement session they starred, not a pending one", () => {
    const before = loadProgramme(db);
    const after = structuredClone(before);
    const lab = after.sessions.find((s) => s.slug === LAW_ENFORCEMENT)!;
    lab.startsAt = new Date(lab.startsAt!.getTime() + 3_600_000);
    lab.endsAt = new Date(lab.endsAt!.getTime() + 3_600_000);
    for (const [email, status] of [
      ["dan@example.org", "confirmed"],
      ["eve@example.org", "pending_review"],
    ] as const) {
      star(addUser(email), LAW_ENFORCEMENT);
      db.insert(registrations)
        .values({
          email,
          category: "law-enforcement",
          status,
          language: "en",
          name: "N",
          organisation: "O",
          country: "FR",
          privacyConsentAt: new Date(),
          ticketNonce: `t-${email}`,
          ticketHash: `th-${email}`,
        })
        .run();
    }
    const mails = releaseMails(db, 2, before, after);
    expect(mails.find((m) => m.recipient === "dan@example.org")?.payload.sessions.map((s) => s.slug)).toEqual([LAW_ENFORCEMENT]);
    expect(mails.some((m) => m.recipient === "eve@example.org")).toBe(false);
  });

  it("tell the speakers of a session new to the public where and when it is (not its starrers)", () => {
    const after = loadProgramme(db);
    const before = structuredClone(after);
    before.sessions = before.sessions.filter((s) => s.slug !== KEYNOTE);
    star(addUser("ada@example.org"), KEYNOTE);
    const keynote = after.sessions.find((s) => s.slug === KEYNOTE)!;
    const mails = releaseMails(db, 2, before, after);
    expect(mails.map((m) => m.recipient)).toEqual([KEYNOTE_SPEAKER]);
    expect(mails[0]!.payload.sessions).toEqual([
      {
        slug: KEYNOTE,
        // Its speaker reads French: the French title.
        title: keynote.title.fr,
        kind: "added",
        startsAt: keynote.startsAt!.toISOString(),
        endsAt: keynote.endsAt!.toISOString(),
        room: keynote.room!.name,
      },
    ]);
  });
});
