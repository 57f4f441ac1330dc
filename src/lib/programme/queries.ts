import { asc } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { formats, rooms, sessionSpeakers, sessions, speakers, tracks } from "../../../db/schema/index.ts";
import type { Format, Programme, Room, Session, Speaker, Track } from "./model.ts";

/** Reads the whole stored programme in a handful of queries, relations resolved. */
export function loadProgramme(db: Db): Programme {
  const roomRows: Room[] = db
    .select({
      id: rooms.id,
      slug: rooms.slug,
      name: rooms.name,
      capacity: rooms.capacity,
      position: rooms.position,
      description: rooms.description,
      updatedAt: rooms.updatedAt,
    })
    .from(rooms)
    .orderBy(asc(rooms.position), asc(rooms.id))
    .all();
  const trackRows = db.select().from(tracks).orderBy(asc(tracks.position), asc(tracks.id)).all();
  const formatRows = db.select().from(formats).orderBy(asc(formats.id)).all();
  const speakerRows = db.select().from(speakers).orderBy(asc(speakers.name)).all();
  const sessionRows = db.select().from(sessions).orderBy(asc(sessions.startsAt), asc(sessions.id)).all();
  const links = db.select().from(sessionSpeakers).orderBy(asc(sessionSpeakers.sessionId), asc(sessionSpeakers.position)).all();

  let lastModified = new Date(0);
  const touch = (d: Date) => {
    if (d > lastModified) lastModified = d;
  };
  for (const rows of [trackRows, formatRows, speakerRows, sessionRows, roomRows as { updatedAt?: Date }[]]) {
    for (const row of rows) if (row.updatedAt) touch(row.updatedAt);
  }

  const roomById = new Map(roomRows.map((r) => [r.id, stripTimes(r)]));
  const trackById = new Map<number, Track>(
    trackRows.map((t) => [t.id, { id: t.id, slug: t.slug, name: { en: t.nameEn, fr: t.nameFr }, colour: t.colour }]),
  );
  const formatById = new Map<number, Format>(
    formatRows.map((f) => [f.id, { id: f.id, slug: f.slug, name: { en: f.nameEn, fr: f.nameFr }, defaultDuration: f.defaultDuration }]),
  );
  const speakerIdsBySession = new Map<number, number[]>();
  for (const link of links) speakerIdsBySession.set(link.sessionId, [...(speakerIdsBySession.get(link.sessionId) ?? []), link.speakerId]);

  const sessionList: Session[] = sessionRows.map((s) => ({
    id: s.id,
    slug: s.slug,
    title: { en: s.titleEn, fr: s.titleFr },
    abstract: { en: s.abstractEn, fr: s.abstractFr },
    description: { en: s.descriptionEn, fr: s.descriptionFr },
    format: formatById.get(s.formatId)!,
    track: s.trackId === null ? null : (trackById.get(s.trackId) ?? null),
    language: s.language,
    audience: s.audience,
    titlePublic: s.titlePublic,
    tlp: s.tlp,
    state: s.state,
    published: s.published,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    room: s.roomId === null ? null : (roomById.get(s.roomId) ?? null),
    speakerIds: speakerIdsBySession.get(s.id) ?? [],
    expectedAudience: s.expectedAudience,
    version: s.version,
    updatedAt: s.updatedAt,
  }));

  const speakerList: Speaker[] = speakerRows.map((s) => ({
    id: s.id,
    slug: s.slug,
    name: s.name,
    affiliation: s.affiliation,
    country: s.country,
    bio: { en: s.bioEn, fr: s.bioFr },
    links: s.links,
    photo: s.photo,
    email: s.email,
    language: s.language,
    availability: s.availability,
  }));

  return {
    rooms: [...roomById.values()],
    tracks: [...trackById.values()],
    formats: [...formatById.values()],
    speakers: speakerList,
    sessions: sessionList,
    lastModified,
  };
}

function stripTimes(r: Room & { updatedAt?: Date }): Room {
  const { id, slug, name, capacity, position, description } = r;
  return { id, slug, name, capacity, position, description };
}

/**
 * A reader of the programme that queries the tables again only when the `programme` change counter
 * (bumped by triggers on every programme table) has moved: one indexed lookup per request otherwise.
 * The returned programme is shared between requests and must be treated as read-only.
 */
export function createProgrammeCache(db: Db): () => Programme {
  const revision = db.$client.prepare("select value from change_counters where name = 'programme'").pluck();
  let cached: { revision: unknown; programme: Programme } | undefined;
  return () => {
    const current = revision.get();
    if (!cached || cached.revision !== current) cached = { revision: current, programme: loadProgramme(db) };
    return cached.programme;
  };
}
