import { ANONYMOUS, isListed, sessionAccess, viewProgramme, type SessionView, type Viewer } from "./audience.ts";
import type { Programme } from "./model.ts";
import { sameText, type Localized } from "./texts.ts";

/**
 * The public changelog between two releases of the programme. Both sides are compared as the
 * anonymous visitor sees them (`viewProgramme(…, ANONYMOUS)`), so the changelog can be published:
 *
 * - a session whose title is not public (restricted audience, `titlePublic` false) never appears,
 *   not even as a placeholder: the public may not know it exists;
 * - a restricted session whose title is public appears with its title, time and room only
 *   (`restricted: true`); its abstract and speakers are blank on both sides, so changes to them
 *   never show;
 * - a session that leaves the public listing only because its title was hidden (it is still
 *   confirmed, published and placed) is left out rather than reported as cancelled, which would be
 *   false and would tell the public about it.
 */

/** Where and when a session takes place; `room` is null for items spanning every room. */
export interface Slot {
  startsAt: Date;
  endsAt: Date;
  room: { slug: string; name: string } | null;
}

/** The fields whose change makes a session `changed`. */
export type ChangedField = "title" | "speakers" | "abstract" | "format" | "language" | "track";

interface ChangeBase {
  slug: string;
  /** The title the public sees (both languages): after the release, or before it for `cancelled`. */
  title: Localized;
  /** True when only title, time and room are public. */
  restricted: boolean;
}

export type Change =
  | (ChangeBase & { kind: "added"; to: Slot })
  | (ChangeBase & { kind: "cancelled"; reason: "cancelled" | "withdrawn" | "unlisted"; from: Slot })
  | (ChangeBase & { kind: "moved"; from: Slot; to: Slot })
  | (ChangeBase & { kind: "changed"; fields: ChangedField[]; previousTitle?: Localized });

export type ChangeKind = Change["kind"];

const KIND_ORDER: ChangeKind[] = ["added", "cancelled", "moved", "changed"];

function slot(s: SessionView): Slot {
  return { startsAt: s.startsAt, endsAt: s.endsAt, room: s.room ? { slug: s.room.slug, name: s.room.name } : null };
}

function visibleSessions(programme: Programme, viewer: Viewer): Map<string, SessionView> {
  return new Map(viewProgramme(programme, viewer).sessions.map((s) => [s.slug, s]));
}

const sameSlot = (a: SessionView, b: SessionView) =>
  a.startsAt.getTime() === b.startsAt.getTime() &&
  a.endsAt.getTime() === b.endsAt.getTime() &&
  (a.room?.slug ?? null) === (b.room?.slug ?? null);

function changedFields(a: SessionView, b: SessionView): ChangedField[] {
  const fields: ChangedField[] = [];
  if (!sameText(a.title, b.title)) fields.push("title");
  if (a.speakers.map((s) => s.slug).join("\n") !== b.speakers.map((s) => s.slug).join("\n")) fields.push("speakers");
  if (!sameText(a.abstract, b.abstract)) fields.push("abstract");
  if (a.format.slug !== b.format.slug) fields.push("format");
  if (a.language !== b.language) fields.push("language");
  if ((a.track?.slug ?? null) !== (b.track?.slug ?? null)) fields.push("track");
  return fields;
}

/**
 * The changes from `before` to `after` as `viewer` sees them (the public changelog: the anonymous
 * public; the release e-mails: organizers, who see every session); `before` null is the first release.
 */
export function diffProgrammes(before: Programme | null, after: Programme, viewer: Viewer = ANONYMOUS): Change[] {
  const was = before ? visibleSessions(before, viewer) : new Map<string, SessionView>();
  const now = visibleSessions(after, viewer);
  const rawAfter = new Map(after.sessions.map((s) => [s.slug, s]));
  const entries: { at: number; change: Change }[] = [];

  for (const [slug, b] of now) {
    const a = was.get(slug);
    const base = { slug, title: b.title, restricted: b.restricted };
    if (!a) {
      entries.push({ at: b.startsAt.getTime(), change: { ...base, kind: "added", to: slot(b) } });
      continue;
    }
    if (!sameSlot(a, b)) entries.push({ at: b.startsAt.getTime(), change: { ...base, kind: "moved", from: slot(a), to: slot(b) } });
    const fields = changedFields(a, b);
    if (fields.length > 0) {
      entries.push({
        at: b.startsAt.getTime(),
        change: { ...base, kind: "changed", fields, ...(fields.includes("title") ? { previousTitle: a.title } : {}) },
      });
    }
  }

  for (const [slug, a] of was) {
    if (now.has(slug)) continue;
    const raw = rawAfter.get(slug);
    // Still in the programme, only hidden from the public: say nothing (see the module comment).
    if (raw && isListed(raw) && sessionAccess(raw, viewer) === "none") continue;
    const reason = raw?.state === "cancelled" || raw?.state === "withdrawn" ? raw.state : "unlisted";
    entries.push({
      at: a.startsAt.getTime(),
      change: { slug, title: a.title, restricted: a.restricted, kind: "cancelled", reason, from: slot(a) },
    });
  }

  return entries
    .sort(
      (x, y) =>
        x.at - y.at ||
        (x.change.slug < y.change.slug ? -1 : x.change.slug > y.change.slug ? 1 : 0) ||
        KIND_ORDER.indexOf(x.change.kind) - KIND_ORDER.indexOf(y.change.kind),
    )
    .map((e) => e.change);
}

/** How many changes of each kind. */
export function summarize(changes: readonly Change[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { added: 0, cancelled: 0, moved: 0, changed: 0 };
  for (const c of changes) counts[c.kind] += 1;
  return counts;
}

/** Slugs of the sessions whose speakers and starring attendees must be told (moved, changed, cancelled), once each, in change order. */
export function affectedSessionSlugs(changes: readonly Change[]): string[] {
  return [...new Set(changes.filter((c) => c.kind !== "added").map((c) => c.slug))];
}
