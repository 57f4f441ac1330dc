import { getCollection, getLiveEntry } from "astro:content";
import type { Viewer } from "../../lib/programme/audience.ts";
import type { Locale } from "../../i18n/index.ts";

/**
 * Lookups shared by the English and French route files: each returns null for "no such page", so
 * the route answers with the 404 page, and throws on any other failure (a 500, not a false 404).
 */

/** The session `slug` as `viewer` may see it, or null when it does not exist for them. */
export async function findSession(slug: string | undefined, viewer: Viewer) {
  if (!slug) return null;
  const { entry, error } = await getLiveEntry("sessions", { slug, viewer });
  if (entry) return entry.data;
  if (error && error.name !== "LiveEntryNotFoundError") throw error;
  return null;
}

/** The speaker `slug` (with their sessions visible to `viewer`), or null when not public for them. */
export async function findSpeaker(slug: string | undefined, viewer: Viewer) {
  if (!slug) return null;
  const { entry, error } = await getLiveEntry("speakers", { slug, viewer });
  if (entry) return entry.data;
  if (error && error.name !== "LiveEntryNotFoundError") throw error;
  return null;
}

/** The editorial page `page` (about, venue, faq, ...) in `locale`, or null. */
export async function findPage(page: string | undefined, locale: Locale) {
  if (!page || !/^[a-z0-9-]+$/.test(page)) return null;
  // Looked up in the (in-memory) collection rather than with getEntry, which logs every miss.
  const id = `${locale}/${page}`;
  return (await getCollection("pages")).find((entry) => entry.id === id) ?? null;
}
