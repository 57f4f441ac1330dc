import { createHash } from "node:crypto";
import { isListed } from "./audience.ts";
import type { Programme, Session } from "./model.ts";

/**
 * Warnings of the schedule editor (issue 5): what an organizer should look at before a release.
 * None of them blocks a save or a release; impossible values (end before start, outside the forum's
 * days) are refused by the editor's validation instead.
 */
export type Warning =
  | { kind: "room_overlap"; sessions: [string, string]; room: string }
  | { kind: "speaker_overlap"; sessions: [string, string]; speaker: string }
  /** The speaker has less than `minutes` between two sessions in different rooms. */
  | { kind: "speaker_gap"; sessions: [string, string]; speaker: string; minutes: number }
  /** The session lies outside every window of the speaker's availability. */
  | { kind: "speaker_unavailable"; session: string; speaker: string }
  | { kind: "room_too_small"; session: string; room: string; capacity: number; expected: number }
  | { kind: "no_speaker"; session: string }
  | { kind: "no_room"; session: string }
  | { kind: "unscheduled"; session: string };

export interface ConflictOptions {
  /** Minutes a speaker needs between sessions in different rooms (default 10). */
  speakerGapMinutes?: number;
  /** Expected audience per session (slug -> people), overriding the sessions' own `expectedAudience`. */
  expectedAudience?: ReadonlyMap<string, number>;
  /** Formats whose sessions need no speaker (breaks, say). Default: "break". */
  formatsWithoutSpeakers?: readonly string[];
}

const overlaps = (a: Session, b: Session) => a.startsAt! < b.endsAt! && b.startsAt! < a.endsAt!;
/** A session without a room but with a time spans every room (plenary items, breaks). */
const sharesRoom = (a: Session, b: Session) => a.room === null || b.room === null || a.room.id === b.room.id;

/** The warning options an edition configures (content/edition.yaml, `schedule`). */
export function editionConflictOptions(edition: { schedule: { speakerGapMinutes: number } }): ConflictOptions {
  return { speakerGapMinutes: edition.schedule.speakerGapMinutes };
}

/** Every warning of the confirmed sessions of `programme`, in a stable order. */
export function scheduleWarnings(programme: Programme, options: ConflictOptions = {}): Warning[] {
  const gap = (options.speakerGapMinutes ?? 10) * 60_000;
  const withoutSpeakers = new Set(options.formatsWithoutSpeakers ?? ["break"]);
  const speakerName = new Map(programme.speakers.map((s) => [s.id, s.name]));
  const windows = new Map(
    programme.speakers.map((s) => [s.id, (s.availability ?? []).map((w) => ({ from: Date.parse(w.from), to: Date.parse(w.to) }))]),
  );
  const sessions = programme.sessions.filter((s) => s.state === "confirmed").sort((a, b) => a.slug.localeCompare(b.slug));
  const placed = sessions
    .filter((s) => s.startsAt && s.endsAt)
    .sort((a, b) => a.startsAt!.getTime() - b.startsAt!.getTime() || a.slug.localeCompare(b.slug));
  const warnings: Warning[] = [];

  for (const s of sessions) {
    if (!s.startsAt || !s.endsAt) warnings.push({ kind: "unscheduled", session: s.slug });
    if (s.speakerIds.length === 0 && !withoutSpeakers.has(s.format.slug)) warnings.push({ kind: "no_speaker", session: s.slug });
    if (s.startsAt && s.room === null && !withoutSpeakers.has(s.format.slug) && s.format.slug !== "keynote") {
      warnings.push({ kind: "no_room", session: s.slug });
    }
    if (s.startsAt && s.endsAt) {
      const [from, to] = [s.startsAt.getTime(), s.endsAt.getTime()];
      for (const id of s.speakerIds) {
        const free = windows.get(id) ?? [];
        if (free.length > 0 && !free.some((w) => w.from <= from && to <= w.to)) {
          warnings.push({ kind: "speaker_unavailable", session: s.slug, speaker: speakerName.get(id) ?? String(id) });
        }
      }
    }
    const expected = options.expectedAudience?.get(s.slug) ?? s.expectedAudience ?? undefined;
    if (expected !== undefined && s.room && expected > s.room.capacity) {
      warnings.push({ kind: "room_too_small", session: s.slug, room: s.room.slug, capacity: s.room.capacity, expected });
    }
  }

  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) {
      const a = placed[i];
      const b = placed[j];
      // Sorted by start: once b starts after a ends plus the gap, no later b can touch a.
      if (b.startsAt!.getTime() >= a.endsAt!.getTime() + gap) break;
      const pair: [string, string] = [a.slug, b.slug];
      if (overlaps(a, b) && sharesRoom(a, b) && !(withoutSpeakers.has(a.format.slug) && withoutSpeakers.has(b.format.slug))) {
        warnings.push({ kind: "room_overlap", sessions: pair, room: a.room?.slug ?? b.room?.slug ?? "all rooms" });
      }
      for (const speaker of a.speakerIds.filter((id) => b.speakerIds.includes(id))) {
        const name = speakerName.get(speaker) ?? String(speaker);
        if (overlaps(a, b)) warnings.push({ kind: "speaker_overlap", sessions: pair, speaker: name });
        else if (a.room && b.room && a.room.id !== b.room.id) {
          const minutes = Math.round((b.startsAt!.getTime() - a.endsAt!.getTime()) / 60_000);
          warnings.push({ kind: "speaker_gap", sessions: pair, speaker: name, minutes });
        }
      }
    }
  }
  return warnings;
}

/**
 * The warnings about what a release of `programme` shows: those whose sessions are all listed
 * (confirmed, published, placed). A session not yet on the grid, or not published, is in no
 * release, and its warnings wait for the day it is. Publishing over these asks the organizer first.
 */
export function releaseWarnings(warnings: readonly Warning[], programme: Programme): Warning[] {
  const listed = new Set(programme.sessions.filter(isListed).map((s) => s.slug));
  return warnings.filter((w) => ("session" in w ? [w.session] : w.sessions).every((slug) => listed.has(slug)));
}

/**
 * A short fingerprint of a list of warnings (scheduleWarnings gives them in a stable order): what an
 * organizer acknowledged when publishing despite them. Any new, changed or resolved warning changes it.
 */
export function warningsFingerprint(warnings: readonly Warning[]): string {
  return createHash("sha256").update(JSON.stringify(warnings)).digest("base64url").slice(0, 22);
}
