import type { Audience, Programme, Session, Speaker } from "./model.ts";
import { anyText, NO_TEXT, type Localized } from "./texts.ts";

/**
 * Who is looking. Anonymous visitors see `public` sessions; confirmed attendees also `registered`
 * ones; confirmed law-enforcement attendees also `law-enforcement` ones; organizers everything.
 * Other staff (reviewers, check-in) are no kind of their own: they look as their registration allows.
 */
export type Viewer = { kind: "anonymous" } | { kind: "attendee"; category: string; confirmed: boolean } | { kind: "organizer" };

export const ANONYMOUS: Viewer = { kind: "anonymous" };

/** The audiences whose sessions `viewer` may see in full. */
export function viewerAudiences(viewer: Viewer): ReadonlySet<Audience> {
  if (viewer.kind === "organizer") return new Set(["public", "registered", "law-enforcement"]);
  if (viewer.kind === "attendee" && viewer.confirmed) {
    return new Set(viewer.category === "law-enforcement" ? ["public", "registered", "law-enforcement"] : ["public", "registered"]);
  }
  return new Set(["public"]);
}

/** What a viewer may see of a session: all of it, only its title and time, or nothing at all. */
export type Access = "full" | "title" | "none";

/** True for sessions that belong to the public programme at all: confirmed, published and placed. */
export function isListed(session: Session): boolean {
  return session.state === "confirmed" && session.published && session.startsAt !== null && session.endsAt !== null;
}

/** The one audience rule: every page, export, feed and search index asks it. */
export function sessionAccess(session: Session, viewer: Viewer): Access {
  if (!isListed(session)) return "none";
  if (viewerAudiences(viewer).has(session.audience)) return "full";
  return session.titlePublic ? "title" : "none";
}

/** A public speaker: no private details (e-mail) ever. */
export interface SpeakerView {
  /** The speaker's database id: the stable integer that schedule clients key persons on. */
  id: number;
  slug: string;
  name: string;
  affiliation: string;
  country: string;
  bio: Localized;
  links: { label: string; url: string }[];
  photo: string | null;
}

/** What a page or an export may show of a session for one viewer. */
export interface SessionView {
  slug: string;
  /** In English and in French (see texts.ts for which one a reader gets). */
  title: Localized;
  /** True when only title and time are shown: no abstract, description, speakers or TLP. */
  restricted: boolean;
  audience: Session["audience"];
  abstract: Localized;
  description: Localized;
  tlp: Session["tlp"] | null;
  format: Session["format"];
  track: Session["track"];
  language: Session["language"];
  startsAt: Date;
  endsAt: Date;
  room: Session["room"];
  speakers: SpeakerView[];
  updatedAt: Date;
}

/** The public face of a speaker. */
export function presentSpeaker(speaker: Speaker): SpeakerView {
  const { id, slug, name, affiliation, country, bio, links, photo } = speaker;
  return { id, slug, name, affiliation, country, bio, links, photo };
}

/** Applies `access` to a session; returns null when the viewer may not know it exists. */
export function presentSession(session: Session, access: Access, speakersById: ReadonlyMap<number, Speaker>): SessionView | null {
  if (access === "none" || !session.startsAt || !session.endsAt) return null;
  const full = access === "full";
  return {
    slug: session.slug,
    title: session.title,
    restricted: !full,
    audience: session.audience,
    abstract: full ? session.abstract : NO_TEXT,
    description: full ? session.description : NO_TEXT,
    tlp: full ? session.tlp : null,
    format: session.format,
    track: session.track,
    language: session.language,
    startsAt: session.startsAt,
    endsAt: session.endsAt,
    room: session.room,
    speakers: full
      ? session.speakerIds
          .map((id) => speakersById.get(id))
          .filter((s): s is Speaker => !!s)
          .map(presentSpeaker)
      : [],
    updatedAt: session.updatedAt,
  };
}

/** The programme as one viewer may see it: sessions in time order, speakers who appear in a visible session. */
export interface ProgrammeView {
  rooms: Programme["rooms"];
  tracks: Programme["tracks"];
  formats: Programme["formats"];
  sessions: SessionView[];
  speakers: (SpeakerView & { sessions: SessionView[] })[];
  lastModified: Date;
}

/** Builds the view of `programme` for `viewer`, applying the audience rule to every session and speaker. */
export function viewProgramme(programme: Programme, viewer: Viewer): ProgrammeView {
  const speakersById = new Map(programme.speakers.map((s) => [s.id, s]));
  const sessions = programme.sessions
    .map((s) => presentSession(s, sessionAccess(s, viewer), speakersById))
    .filter((s): s is SessionView => s !== null)
    .sort(
      (a, b) =>
        a.startsAt.getTime() - b.startsAt.getTime() ||
        (a.room?.position ?? -1) - (b.room?.position ?? -1) ||
        anyText(a.title).localeCompare(anyText(b.title)),
    );
  const bySpeaker = new Map<string, SessionView[]>();
  for (const session of sessions) {
    for (const speaker of session.speakers) bySpeaker.set(speaker.slug, [...(bySpeaker.get(speaker.slug) ?? []), session]);
  }
  const speakers = programme.speakers
    .filter((s) => bySpeaker.has(s.slug))
    .map((s) => ({ ...presentSpeaker(s), sessions: bySpeaker.get(s.slug)! }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    rooms: programme.rooms,
    tracks: programme.tracks,
    formats: programme.formats,
    sessions,
    speakers,
    lastModified: programme.lastModified,
  };
}
