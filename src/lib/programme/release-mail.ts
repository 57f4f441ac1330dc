import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { agendaStars } from "../../../db/schema/agenda.ts";
import { users } from "../../../db/schema/auth.ts";
import { createGroup } from "../email/groups.ts";
import { enqueue, type DbLike } from "../email/outbox.ts";
import { sessionAccess, type Viewer } from "./audience.ts";
import { affectedSessionSlugs, diffProgrammes } from "./changelog.ts";
import type { Language, Programme, Session } from "./model.ts";
import { anyText } from "./texts.ts";
import { registrationViewer } from "./viewer.ts";

/**
 * On a release, the speakers of the sessions that moved, changed or were cancelled, and the people
 * who starred them, are told by e-mail; so are the speakers of a session new to the public (such as
 * a confirmed proposal placed at last, whose confirmation page promised to tell them when and
 * where). One `programme.release` message per address and release lists all their affected
 * sessions, in their language. A starrer only hears of the sessions their
 * registration lets them see in full (the audience rule of viewer.ts); a speaker always hears of
 * their own. The payload carries titles, times and room names only: no secret, nothing restricted
 * that the recipient may not see.
 */

/** How an affected session changed, as the message tells it. */
export type ReleaseChangeKind = "added" | "moved" | "changed" | "cancelled";

/** One affected session in a `programme.release` payload (times as ISO strings). */
export interface ReleaseMailSession {
  slug: string;
  title: string;
  kind: ReleaseChangeKind;
  startsAt?: string;
  endsAt?: string;
  room?: string;
}

/** One message to queue. */
export interface ReleaseMail {
  recipient: string;
  language: "en" | "fr";
  payload: { release: number; sessions: ReleaseMailSession[] };
}

const normalize = (email: string) => email.trim().toLowerCase();
const ORGANIZERS: Viewer = { kind: "organizer" };

/** The messages release `number` (programme `after`, following `before`) calls for; none for the first release. */
export function releaseMails(db: Pick<Db, "select">, number: number, before: Programme | null, after: Programme): ReleaseMail[] {
  if (!before) return [];
  // Seen by organizers, who see every session: a restricted session whose title the public may not see
  // still reaches its speakers and the attendees allowed to see it (checked below, per starrer).
  const changes = diffProgrammes(before, after, ORGANIZERS);
  // Speakers hear of every change to their sessions; starrers not of additions (nothing to have starred).
  const slugs = [...new Set(changes.map((c) => c.slug))];
  const starrable = new Set(affectedSessionSlugs(changes));
  if (slugs.length === 0) return [];

  const oldBySlug = new Map(before.sessions.map((s) => [s.slug, s]));
  const newBySlug = new Map(after.sessions.map((s) => [s.slug, s]));
  const speakersById = [new Map(after.speakers.map((s) => [s.id, s])), new Map(before.speakers.map((s) => [s.id, s]))];

  interface Affected {
    slug: string;
    kind: ReleaseChangeKind;
    /** The session as it now stands, or as it last stood when cancelled. */
    session: Session;
  }
  const affected: Affected[] = [];
  for (const slug of slugs) {
    const kinds = new Set(changes.filter((c) => c.slug === slug).map((c) => c.kind));
    const kind: ReleaseChangeKind = kinds.has("cancelled")
      ? "cancelled"
      : kinds.has("added")
        ? "added"
        : kinds.has("moved")
          ? "moved"
          : "changed";
    const session = kind === "cancelled" ? (oldBySlug.get(slug) ?? newBySlug.get(slug)) : (newBySlug.get(slug) ?? oldBySlug.get(slug));
    if (session) affected.push({ slug, kind, session });
  }

  // Each message tells of the sessions in its recipient's language (else the other one).
  const entry = ({ slug, kind, session }: Affected, language: Language): ReleaseMailSession => {
    const item: ReleaseMailSession = { slug, title: anyText(session.title, language), kind };
    if (kind !== "cancelled" && session.startsAt && session.endsAt) {
      item.startsAt = session.startsAt.toISOString();
      item.endsAt = session.endsAt.toISOString();
      if (session.room) item.room = session.room.name;
    }
    return item;
  };

  // Address -> slugs it is told about (a Set keeps one line per session).
  const told = new Map<string, Set<string>>();
  const tell = (email: string, slug: string) => {
    const key = normalize(email);
    if (!key) return;
    if (!told.has(key)) told.set(key, new Set());
    told.get(key)!.add(slug);
  };

  // Speakers, of the session before or after the release, in the language of their profile.
  const speakerLanguage = new Map<string, "en" | "fr">();
  for (const a of affected) {
    const ids = new Set([...(newBySlug.get(a.slug)?.speakerIds ?? []), ...(oldBySlug.get(a.slug)?.speakerIds ?? [])]);
    for (const id of ids) {
      const speaker = speakersById[0].get(id) ?? speakersById[1].get(id);
      if (!speaker?.email) continue;
      tell(speaker.email, a.slug);
      if (speaker.language) speakerLanguage.set(normalize(speaker.email), speaker.language);
    }
  }

  // Starrers, for the sessions their registration lets them see in full.
  const byId = new Map<number, Affected>();
  for (const a of affected.filter((a) => starrable.has(a.slug))) {
    for (const s of [newBySlug.get(a.slug), oldBySlug.get(a.slug)]) if (s) byId.set(s.id, a);
  }
  const stars =
    byId.size === 0
      ? []
      : db
          .select({ email: users.email, sessionId: agendaStars.sessionId })
          .from(agendaStars)
          .innerJoin(users, and(eq(agendaStars.userId, users.id), isNull(users.revokedAt)))
          .where(inArray(agendaStars.sessionId, [...byId.keys()]))
          .all();
  const viewers = new Map<string, ReturnType<typeof registrationViewer>>();
  for (const star of stars) {
    const a = byId.get(star.sessionId)!;
    let viewer = viewers.get(star.email);
    if (!viewer) viewers.set(star.email, (viewer = registrationViewer(db, star.email)));
    if (sessionAccess(a.session, viewer) === "full") tell(star.email, a.slug);
  }

  if (told.size === 0) return [];
  const addresses = [...told.keys()].sort();
  const languages = new Map(
    db
      .select({ email: users.email, language: users.language })
      .from(users)
      .where(inArray(users.email, addresses))
      .all()
      .map((u) => [normalize(u.email), u.language]),
  );
  return addresses.map((recipient) => {
    const mine = told.get(recipient)!;
    const language: Language = (speakerLanguage.get(recipient) ?? languages.get(recipient)) === "fr" ? "fr" : "en";
    return {
      recipient,
      language,
      payload: { release: number, sessions: affected.filter((a) => mine.has(a.slug)).map((a) => entry(a, language)) },
    };
  });
}

/**
 * Queues the messages of release `number` in the caller's transaction, as one group message
 * (`release-<number>`, with the release's comment) that organizers can follow and pause; returns how many.
 */
export function enqueueReleaseMails(
  db: Pick<Db, "select"> & DbLike,
  number: number,
  before: Programme | null,
  after: Programme,
  now: number = Date.now(),
  { comment = { en: "", fr: "" }, createdBy = "" }: { comment?: { en: string; fr: string }; createdBy?: string } = {},
): number {
  const mails = releaseMails(db, number, before, after);
  if (mails.length === 0) return 0;
  const groupId = `release-${number}`;
  createGroup(
    db,
    {
      id: groupId,
      kind: "release",
      release: number,
      body: { en: comment.en || comment.fr, fr: comment.fr || comment.en },
      recipients: mails.length,
      createdBy,
    },
    now,
  );
  for (const mail of mails) enqueue(db, { template: "programme.release", ...mail, groupId }, now);
  return mails.length;
}
