import { randomUUID } from "node:crypto";

/**
 * Rendered HTML of announcement previews, kept in memory for a short while so that the compose page
 * can show each in a sandboxed frame (its own response, with a CSP that allows the e-mail's inline
 * styles and nothing else). Only the organizer who made a preview can see it. Nothing depends on it
 * but the frame: after a restart the page still shows the plain-text version, and sending is unaffected.
 */

/** How long a preview stays viewable. */
export const PREVIEW_TTL_MS = 30 * 60_000;
/** Previews kept at most (the oldest go first). */
export const MAX_PREVIEWS = 100;

interface Entry {
  userId: number;
  html: { en: string; fr: string };
  expiresAt: number;
}

// One store per process, found through a global symbol in case the bundle holds two copies of this module.
const STORE = Symbol.for("forum.mail.previews");
type Registry = { [STORE]?: Map<string, Entry> };

function store(): Map<string, Entry> {
  const registry = globalThis as Registry;
  return (registry[STORE] ??= new Map());
}

/** Keeps the HTML of a preview made by `userId`; returns its id. */
export function keepPreview(userId: number, html: { en: string; fr: string }, now: number = Date.now()): string {
  const previews = store();
  for (const [id, entry] of previews) if (entry.expiresAt <= now) previews.delete(id);
  while (previews.size >= MAX_PREVIEWS) previews.delete(previews.keys().next().value!);
  const id = randomUUID();
  previews.set(id, { userId, html, expiresAt: now + PREVIEW_TTL_MS });
  return id;
}

/** The HTML of preview `id` in `language`, if `userId` made it and it has not expired. */
export function previewHtml(id: string, userId: number, language: "en" | "fr", now: number = Date.now()): string | undefined {
  const entry = store().get(id);
  if (!entry || entry.userId !== userId || entry.expiresAt <= now) return undefined;
  return entry.html[language];
}

/**
 * An e-mail's HTML as its own response, for a sandboxed frame of an organizers' page: the e-mail's
 * inline styles are allowed, nothing else runs or loads, and only this site may frame it.
 */
export function sandboxedHtml(body: string, status: number): Response {
  return new Response(body, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy":
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox",
      "X-Frame-Options": "SAMEORIGIN",
      "Referrer-Policy": "no-referrer",
      "X-Robots-Tag": "noindex, nofollow",
    },
  });
}
