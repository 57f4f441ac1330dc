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
  /** The texts in the other language than `language`. */
  title_en?: string;
  title_fr?: string;
  abstract_en?: string;
  abstract_fr?: string;
  description_en?: string;
  description_fr?: string;
  body: string;
}

/** A demo speaker as written in content/programme/speakers. */
export interface ContentSpeaker {
  slug: string;
  name: string;
  email?: string | null;
  language?: "en" | "fr";
  bio_en?: string;
  bio_fr?: string;
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

type Lang = "en" | "fr";
const own = (s: { language?: string }): Lang => (s.language === "fr" ? "fr" : "en");

/** The title a reader of `lang` sees: in their language when given, else in the session's. */
export function titleIn(s: ContentSession, lang: Lang): string {
  return own(s) === lang ? s.title : (s[`title_${lang}`] ?? s.title);
}

/** The abstract a reader of `lang` sees. */
export function abstractIn(s: ContentSession, lang: Lang): string {
  return own(s) === lang ? s.body : (s[`abstract_${lang}`]?.trim() ?? s.body);
}

/** The description a reader of `lang` sees ("" when there is none). */
export function descriptionIn(s: ContentSession, lang: Lang): string {
  return (own(s) === lang ? s.description : (s[`description_${lang}`] ?? s.description))?.trim() ?? "";
}

/** Every title of a session, in both languages. */
export const titles = (s: ContentSession): string[] => [...new Set([s.title, s.title_en, s.title_fr].filter((t): t is string => !!t))];

/** Every abstract and description of a session, in both languages (what a restricted session must never show). */
export const detailTexts = (s: ContentSession): string[] =>
  [s.body, s.description, s.abstract_en, s.abstract_fr, s.description_en, s.description_fr].filter((t): t is string => !!t?.trim());

/** The biography a reader of `lang` sees. */
export function bioIn(s: ContentSpeaker, lang: Lang): string {
  return own(s) === lang ? s.body : (s[`bio_${lang}`]?.trim() ?? s.body);
}

/** A distinctive piece of a text (its longest line), to look for in outputs. */
export function fingerprint(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/^[-*#>\s]+/, "").trim())
    .sort((a, b) => b.length - a.length)[0]
    .slice(0, 60);
}
