import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** A demo session as written in content/programme/sessions, read independently of the importer. */
export interface ContentSession {
  slug: string;
  title: string;
  format: string;
  track?: string | null;
  language?: string;
  audience?: string;
  titlePublic?: boolean;
  state?: string;
  published?: boolean;
  day?: string;
  start?: string;
  end?: string;
  room?: string | null;
  speakers?: string[];
  description?: string;
  tlp?: string;
  body: string;
}

/** A demo speaker as written in content/programme/speakers. */
export interface ContentSpeaker {
  slug: string;
  name: string;
  email?: string | null;
  body: string;
}

function readMarkdown<T>(dir: string): (T & { slug: string; body: string })[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => {
      const [, front, body] = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(readFileSync(join(dir, f), "utf8"))!;
      return { ...(parse(front) as T), slug: f.slice(0, -3), body: body.trim() };
    });
}

/** The demo sessions. */
export const contentSessions = (dir = "content/programme"): ContentSession[] => readMarkdown<ContentSession>(join(dir, "sessions"));
/** The demo speakers. */
export const contentSpeakers = (dir = "content/programme"): ContentSpeaker[] => readMarkdown<ContentSpeaker>(join(dir, "speakers"));

/** Listed publicly at all: confirmed, published and placed in time (the defaults of the format apply). */
export const isListed = (s: ContentSession) => (s.state ?? "confirmed") === "confirmed" && (s.published ?? true) && !!s.day;
/** Restricted for an anonymous visitor. */
export const isRestricted = (s: ContentSession) => (s.audience ?? "public") !== "public";

/** A distinctive piece of a text (its longest line), to look for in outputs. */
export function fingerprint(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/^[-*#>\s]+/, "").trim())
    .sort((a, b) => b.length - a.length)[0]
    .slice(0, 60);
}
