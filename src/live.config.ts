// Live collections over the database: organizers and speakers edit sessions and speakers at run time.
import { defineLiveCollection } from "astro:content";
import { sessionsLoader, speakersLoader } from "./web/live-loaders.ts";

export const collections = {
  sessions: defineLiveCollection({ loader: sessionsLoader() }),
  speakers: defineLiveCollection({ loader: speakersLoader() }),
};
