import type { Audience, Language, SessionState, TlpLabel } from "../../../db/schema/index.ts";
import type { Localized } from "./texts.ts";

export type { Audience, Language, Localized, SessionState, TlpLabel };

export interface Room {
  id: number;
  slug: string;
  name: string;
  capacity: number;
  position: number;
  description: string;
}

export interface Track {
  id: number;
  slug: string;
  name: Localized;
  colour: string;
}

export interface Format {
  id: number;
  slug: string;
  name: Localized;
  defaultDuration: number;
}

export interface Speaker {
  id: number;
  slug: string;
  name: string;
  affiliation: string;
  country: string;
  /** Markdown, in English and in French. */
  bio: Localized;
  links: { label: string; url: string }[];
  photo: string | null;
  /** Private. */
  email: string | null;
  /** Private: e-mail language. Absent in releases made before it existed. */
  language?: Language;
  /** Private: when the speaker can speak (ISO instants); empty means any time. */
  availability?: { from: string; to: string }[];
}

/** A session as stored, with its relations resolved. Never handed to a page as is: see `audience.ts`. */
export interface Session {
  id: number;
  slug: string;
  /** Title, abstract and description (Markdown) in English and in French; the title is given in at least one. */
  title: Localized;
  abstract: Localized;
  description: Localized;
  format: Format;
  track: Track | null;
  /** The language the session is held in (its texts may be given in both). */
  language: Language;
  audience: Audience;
  titlePublic: boolean;
  tlp: TlpLabel;
  state: SessionState;
  published: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  /** Null with a time: spans every room. */
  room: Room | null;
  speakerIds: number[];
  /** People expected; null when unknown. Absent in releases made before it existed. */
  expectedAudience?: number | null;
  version: number;
  updatedAt: Date;
}

/** The whole stored programme, relations resolved. */
export interface Programme {
  rooms: Room[];
  tracks: Track[];
  formats: Format[];
  speakers: Speaker[];
  sessions: Session[];
  /** Latest change to any programme row: the validator for caches. */
  lastModified: Date;
}
