import type { LiveLoader } from "astro/loaders";
import { ANONYMOUS, type SessionView, type SpeakerView, type Viewer } from "../lib/programme/audience.ts";
import { programmeFor } from "./runtime.ts";

/** Entry filter: which entry, for which viewer (the audience rule is applied in the loader). */
export interface EntryFilter {
  slug: string;
  viewer?: Viewer;
}

/** Collection filter: for which viewer. */
export interface CollectionFilter {
  viewer?: Viewer;
}

type SessionData = SessionView & Record<string, unknown>;
type SpeakerData = SpeakerView & { sessions: SessionView[] } & Record<string, unknown>;

/** Live loader of the sessions a viewer may see (restricted ones reduced to title and time). */
export function sessionsLoader(): LiveLoader<SessionData, EntryFilter, CollectionFilter> {
  return {
    name: "forum-sessions",
    async loadCollection({ filter }) {
      const view = programmeFor(filter?.viewer ?? ANONYMOUS);
      return {
        entries: view.sessions.map((s) => ({ id: s.slug, data: s as SessionData, cacheHint: { lastModified: s.updatedAt } })),
        cacheHint: { lastModified: view.lastModified },
      };
    },
    async loadEntry({ filter }) {
      const session = programmeFor(filter.viewer ?? ANONYMOUS).sessions.find((s) => s.slug === filter.slug);
      return session ? { id: session.slug, data: session as SessionData, cacheHint: { lastModified: session.updatedAt } } : undefined;
    },
  };
}

/** Live loader of the speakers who appear in a session the viewer may see in full. */
export function speakersLoader(): LiveLoader<SpeakerData, EntryFilter, CollectionFilter> {
  return {
    name: "forum-speakers",
    async loadCollection({ filter }) {
      const view = programmeFor(filter?.viewer ?? ANONYMOUS);
      return {
        entries: view.speakers.map((s) => ({ id: s.slug, data: s as SpeakerData })),
        cacheHint: { lastModified: view.lastModified },
      };
    },
    async loadEntry({ filter }) {
      const speaker = programmeFor(filter.viewer ?? ANONYMOUS).speakers.find((s) => s.slug === filter.slug);
      return speaker ? { id: speaker.slug, data: speaker as SpeakerData } : undefined;
    },
  };
}
