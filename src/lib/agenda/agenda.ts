import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { agendaFeeds, agendaStars } from "../../../db/schema/agenda.ts";
import { users } from "../../../db/schema/auth.ts";
import { sessions } from "../../../db/schema/programme.ts";
import type { User } from "../auth/users.ts";
import { sessionAccess, type SessionView, type Viewer } from "../programme/audience.ts";
import type { Programme, Session } from "../programme/model.ts";
import { deriveSecret, hashSecret, randomNonce } from "../security/secrets.ts";

/**
 * The personal agenda: the sessions a signed-in person starred, and the private calendar feed of
 * them. A star is only ever stored for a session its owner may see in full, and every read applies
 * the audience rule again, so a star of a session the person may no longer see is never shown.
 */

/** Slug of a format that is a pause, not a session anyone stars (coffee, lunch). */
const BREAK_FORMAT = "break";

/** The slugs of the sessions `userId` starred, whatever they may see of them now. */
export function starredSlugs(db: Pick<Db, "select">, userId: number): Set<string> {
  const rows = db
    .select({ slug: sessions.slug })
    .from(agendaStars)
    .innerJoin(sessions, eq(sessions.id, agendaStars.sessionId))
    .where(eq(agendaStars.userId, userId))
    .all();
  return new Set(rows.map((row) => row.slug));
}

/** Whether `viewer` may star the session: one they see in full, not a break. */
export function mayStar(session: Session, viewer: Viewer): boolean {
  return session.format.slug !== BREAK_FORMAT && sessionAccess(session, viewer) === "full";
}

/** What became of a star request. */
export type StarOutcome = { ok: true; starred: boolean } | { ok: false; reason: "not_found" };

/**
 * Stars (or, with `starred` false, un-stars) the session `slug` for `userId`, seen as `viewer`.
 * A session the viewer may not see in full is answered "not_found" whatever the request, so that the
 * answer tells nothing about sessions hidden from them; nothing is stored then.
 */
export function setStar(
  db: Pick<Db, "insert" | "delete">,
  programme: Pick<Programme, "sessions">,
  viewer: Viewer,
  userId: number,
  slug: string,
  starred: boolean,
): StarOutcome {
  const session = programme.sessions.find((s) => s.slug === slug);
  if (!session || !mayStar(session, viewer)) return { ok: false, reason: "not_found" };
  if (starred) db.insert(agendaStars).values({ userId, sessionId: session.id }).onConflictDoNothing().run();
  else
    db.delete(agendaStars)
      .where(and(eq(agendaStars.userId, userId), eq(agendaStars.sessionId, session.id)))
      .run();
  return { ok: true, starred };
}

/**
 * The starred sessions among those `visible` (a viewer's programme view, in time order) that the
 * viewer sees in full; breaks left out.
 */
export function agendaSessions(visible: readonly SessionView[], starred: ReadonlySet<string>): SessionView[] {
  return visible.filter((s) => starred.has(s.slug) && !s.restricted && s.format.slug !== BREAK_FORMAT);
}

/** A feed token's shape: 32 bytes in base64url (what `deriveSecret` gives). */
const FEED_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The current feed token of `userId`, derived again from the stored nonce, or null before the first one. */
export function feedTokenOf(db: Pick<Db, "select">, appKey: Buffer, userId: number): string | null {
  const row = db.select({ nonce: agendaFeeds.nonce }).from(agendaFeeds).where(eq(agendaFeeds.userId, userId)).get();
  return row ? deriveSecret(appKey, "feed", row.nonce) : null;
}

/** Issues a new feed token for `userId`, replacing the previous one (whose URL then stops working). */
export function resetFeedToken(db: Pick<Db, "insert">, appKey: Buffer, userId: number, now = Date.now()): string {
  const nonce = randomNonce();
  const token = deriveSecret(appKey, "feed", nonce);
  const values = { nonce, tokenHash: hashSecret(token), createdAt: new Date(now) };
  db.insert(agendaFeeds)
    .values({ userId, ...values })
    .onConflictDoUpdate({ target: agendaFeeds.userId, set: values })
    .run();
  return token;
}

/** The (not revoked) account whose feed `token` opens, if any. */
export function userOfFeedToken(db: Pick<Db, "select">, token: string): User | undefined {
  if (!FEED_TOKEN.test(token)) return undefined;
  const row = db
    .select({ user: users })
    .from(agendaFeeds)
    .innerJoin(users, eq(users.id, agendaFeeds.userId))
    .where(and(eq(agendaFeeds.tokenHash, hashSecret(token)), isNull(users.revokedAt)))
    .get();
  return row?.user;
}
