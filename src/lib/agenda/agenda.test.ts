import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { agendaFeeds, agendaStars } from "../../../db/schema/agenda.ts";
import { users } from "../../../db/schema/auth.ts";
import { sessions } from "../../../db/schema/programme.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { findOrCreateUser, revokeUser } from "../auth/users.ts";
import { loadEdition } from "../config/edition.ts";
import { ANONYMOUS, viewProgramme, type Viewer } from "../programme/audience.ts";
import { agendaCalendar } from "../programme/exports/ical.ts";
import type { Programme } from "../programme/model.ts";
import { loadProgramme } from "../programme/queries.ts";
import { hashSecret } from "../security/secrets.ts";
import { agendaSessions, feedTokenOf, mayStar, resetFeedToken, setStar, starredSlugs, userOfFeedToken } from "./agenda.ts";

// The demo edition's sessions of each kind (content/programme/sessions).
const PUBLIC = "opening-keynote-anticipating-crime";
const PUBLIC_LATER = "closing-keynote-research-agenda";
const REGISTERED = "botnet-mitigation-year-in-review";
const LAW_ENFORCEMENT = "live-memory-acquisition-lab";
const HIDDEN_LAW_ENFORCEMENT = "le-briefing-day-2";
const UNPUBLISHED = "securing-smart-city-sensor-networks";
const BREAK = "lunch-day-1";

const industry: Viewer = { kind: "attendee", category: "industry", confirmed: true };
const police: Viewer = { kind: "attendee", category: "law-enforcement", confirmed: true };
const pendingPolice: Viewer = { kind: "attendee", category: "law-enforcement", confirmed: false };
const organizer: Viewer = { kind: "organizer" };

let db: Db;
let programme: Programme;
let userId: number;
const key = randomBytes(32);

beforeEach(() => {
  db = openDatabase(":memory:");
  seedIfEmpty(db);
  programme = loadProgramme(db);
  userId = findOrCreateUser(db, "ada@example.org").id;
});

const storedStars = () => db.select().from(agendaStars).all();

describe("starring", () => {
  it("the demo has the sessions these tests rely on", () => {
    for (const slug of [PUBLIC, PUBLIC_LATER, REGISTERED, LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT, UNPUBLISHED, BREAK]) {
      expect(
        programme.sessions.some((s) => s.slug === slug),
        slug,
      ).toBe(true);
    }
  });

  it("stores a star of a session the viewer sees in full, once, and removes it", () => {
    expect(setStar(db, programme, ANONYMOUS, userId, PUBLIC, true)).toEqual({ ok: true, starred: true });
    expect(setStar(db, programme, ANONYMOUS, userId, PUBLIC, true)).toEqual({ ok: true, starred: true });
    expect(starredSlugs(db, userId)).toEqual(new Set([PUBLIC]));
    expect(storedStars()).toHaveLength(1);
    expect(setStar(db, programme, ANONYMOUS, userId, PUBLIC, false)).toEqual({ ok: true, starred: false });
    expect(starredSlugs(db, userId)).toEqual(new Set());
  });

  it.each([
    ["a plain account", ANONYMOUS, [PUBLIC], [REGISTERED, LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT]],
    ["a pending law-enforcement attendee", pendingPolice, [PUBLIC], [REGISTERED, LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT]],
    ["a confirmed industry attendee", industry, [PUBLIC, REGISTERED], [LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT]],
    ["a confirmed law-enforcement attendee", police, [PUBLIC, REGISTERED, LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT], []],
    ["organizer", organizer, [PUBLIC, REGISTERED, LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT], []],
  ] as const)("%s stars only what the audience rule shows them in full", (_who, viewer, allowed, refused) => {
    for (const slug of refused) {
      expect(setStar(db, programme, viewer, userId, slug, true), slug).toEqual({ ok: false, reason: "not_found" });
    }
    expect(storedStars()).toEqual([]);
    for (const slug of allowed) expect(setStar(db, programme, viewer, userId, slug, true), slug).toEqual({ ok: true, starred: true });
    expect(starredSlugs(db, userId)).toEqual(new Set(allowed));
  });

  it("refuses unknown, unpublished and break sessions alike, storing nothing", () => {
    for (const slug of ["no-such-session", UNPUBLISHED, BREAK, ""]) {
      expect(setStar(db, programme, organizer, userId, slug, true), slug).toEqual({ ok: false, reason: "not_found" });
      expect(setStar(db, programme, organizer, userId, slug, false), slug).toEqual({ ok: false, reason: "not_found" });
    }
    expect(storedStars()).toEqual([]);
    const lunch = programme.sessions.find((s) => s.slug === BREAK)!;
    expect(mayStar(lunch, organizer)).toBe(false);
  });

  it("answers a hidden session exactly as an unknown one (nothing to learn from the refusal)", () => {
    expect(setStar(db, programme, industry, userId, HIDDEN_LAW_ENFORCEMENT, true)).toEqual(
      setStar(db, programme, industry, userId, "no-such-session", true),
    );
  });

  it("keeps each person's stars apart", () => {
    const other = findOrCreateUser(db, "bob@example.org").id;
    setStar(db, programme, ANONYMOUS, userId, PUBLIC, true);
    setStar(db, programme, ANONYMOUS, other, PUBLIC_LATER, true);
    expect(starredSlugs(db, userId)).toEqual(new Set([PUBLIC]));
    expect(starredSlugs(db, other)).toEqual(new Set([PUBLIC_LATER]));
  });

  it("are deleted with the account or the session", () => {
    setStar(db, programme, police, userId, PUBLIC, true);
    setStar(db, programme, police, userId, LAW_ENFORCEMENT, true);
    resetFeedToken(db, key, userId);
    db.delete(sessions).where(eq(sessions.slug, LAW_ENFORCEMENT)).run();
    expect(starredSlugs(db, userId)).toEqual(new Set([PUBLIC]));
    db.delete(users).where(eq(users.id, userId)).run();
    expect(storedStars()).toEqual([]);
    expect(db.select().from(agendaFeeds).all()).toEqual([]);
  });
});

describe("agendaSessions", () => {
  it("lists the starred sessions the viewer sees in full, in the programme's time order", () => {
    for (const slug of [PUBLIC_LATER, LAW_ENFORCEMENT, PUBLIC, REGISTERED]) setStar(db, programme, police, userId, slug, true);
    const starred = starredSlugs(db, userId);
    expect(agendaSessions(viewProgramme(programme, police).sessions, starred).map((s) => s.slug)).toEqual([
      PUBLIC,
      LAW_ENFORCEMENT,
      REGISTERED,
      PUBLIC_LATER,
    ]);
  });

  it("drops stars of sessions the viewer may no longer see (registration cancelled, say)", () => {
    for (const slug of [PUBLIC, REGISTERED, LAW_ENFORCEMENT, HIDDEN_LAW_ENFORCEMENT]) setStar(db, programme, police, userId, slug, true);
    const starred = starredSlugs(db, userId);
    expect(starred.size).toBe(4);
    expect(agendaSessions(viewProgramme(programme, industry).sessions, starred).map((s) => s.slug)).toEqual([PUBLIC, REGISTERED]);
    const anonymous = agendaSessions(viewProgramme(programme, ANONYMOUS).sessions, starred);
    expect(anonymous.map((s) => s.slug)).toEqual([PUBLIC]);
    // Title-only sessions are not in the agenda at all: no restricted view ever comes out.
    expect(anonymous.every((s) => !s.restricted)).toBe(true);
  });

  it("drops sessions that were unpublished since", () => {
    setStar(db, programme, ANONYMOUS, userId, PUBLIC, true);
    db.update(sessions).set({ published: false }).where(eq(sessions.slug, PUBLIC)).run();
    const after = loadProgramme(db);
    expect(agendaSessions(viewProgramme(after, organizer).sessions, starredSlugs(db, userId))).toEqual([]);
  });
});

describe("the private feed token", () => {
  it("does not exist before it is asked for", () => {
    expect(feedTokenOf(db, key, userId)).toBeNull();
  });

  it("is derived from a stored nonce; only its hash is stored", () => {
    const token = resetFeedToken(db, key, userId);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(feedTokenOf(db, key, userId)).toBe(token);
    const [row] = db.select().from(agendaFeeds).all();
    expect(row.tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(db.$client.prepare("select * from agenda_feeds").all())).not.toContain(token);
    // Another application key derives another token from the same row.
    expect(feedTokenOf(db, randomBytes(32), userId)).not.toBe(token);
    expect(userOfFeedToken(db, token)?.id).toBe(userId);
  });

  it("is replaced by a reset: the old token opens nothing", () => {
    const first = resetFeedToken(db, key, userId);
    const second = resetFeedToken(db, key, userId);
    expect(second).not.toBe(first);
    expect(db.select().from(agendaFeeds).all()).toHaveLength(1);
    expect(userOfFeedToken(db, first)).toBeUndefined();
    expect(userOfFeedToken(db, second)?.id).toBe(userId);
    expect(feedTokenOf(db, key, userId)).toBe(second);
  });

  it("opens nothing when malformed, unknown, the stored hash itself, or of a closed account", () => {
    const token = resetFeedToken(db, key, userId);
    for (const wrong of ["", "x", token.slice(1), `${token}A`, "A".repeat(43), hashSecret(token), `${token.slice(0, 42)}/`]) {
      expect(userOfFeedToken(db, wrong), wrong).toBeUndefined();
    }
    revokeUser(db, userId);
    expect(userOfFeedToken(db, token)).toBeUndefined();
  });
});

describe("the agenda as iCalendar", () => {
  it("holds exactly the agenda's sessions, linked to the agenda page, never the feed's own address", () => {
    for (const slug of [PUBLIC, REGISTERED, LAW_ENFORCEMENT]) setStar(db, programme, police, userId, slug, true);
    const context = { edition: loadEdition(), siteUrl: "https://forum.example.org" };
    const chosen = agendaSessions(viewProgramme(programme, industry).sessions, starredSlugs(db, userId));
    const ics = agendaCalendar("My agenda · Forum", "/agenda", chosen, context);
    const uids = [...ics.matchAll(/^UID:(.+)$/gm)].map((m) => m[1].trim());
    expect(uids.map((uid) => uid.split("-session-")[1])).toEqual([`${PUBLIC}@forum.example.org`, `${REGISTERED}@forum.example.org`]);
    expect(ics).toContain("X-WR-CALNAME:My agenda · Forum");
    expect(ics).toContain("\r\nURL:https://forum.example.org/agenda\r\n");
    expect(ics).not.toContain(LAW_ENFORCEMENT);
  });
});
