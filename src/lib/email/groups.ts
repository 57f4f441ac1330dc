import { and, desc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { mailGroups, outbox, type MailGroupKind } from "../../../db/schema/outbox.ts";
import { recordAudit } from "../audit.ts";
import type { Actor } from "./admin.ts";
import type { DbLike } from "./outbox.ts";

/**
 * Group messages: an organizers' message to a group of attendees, or the notices of a schedule
 * release, sent as one outbox row per recipient. Organizers follow each one while it goes (how many
 * are sent, waiting, failed, bounced), pause and resume it (audited), and find past ones with their
 * text. Pausing holds back the messages not yet handed to the provider (claimRequest skips them);
 * a request already made is finished, so that its members keep exactly-once delivery.
 */

/** Group messages per page of the history. */
export const GROUPS_PAGE_SIZE = 20;

/** What a group message is made of when it is queued. */
export interface NewGroup {
  id: string;
  kind: MailGroupKind;
  subject?: { en: string; fr: string };
  body?: { en: string; fr: string };
  filters?: Record<string, string> | null;
  release?: number | null;
  recipients: number;
  createdBy: string;
}

/** Records a group message in the caller's transaction (before its rows, which point to it). */
export function createGroup(db: Pick<DbLike, "insert">, group: NewGroup, now: number = Date.now()): void {
  db.insert(mailGroups)
    .values({
      id: group.id,
      kind: group.kind,
      subjectEn: group.subject?.en ?? "",
      subjectFr: group.subject?.fr ?? "",
      bodyEn: group.body?.en ?? "",
      bodyFr: group.body?.fr ?? "",
      filters: group.filters ?? null,
      release: group.release ?? null,
      recipients: group.recipients,
      createdByEmail: group.createdBy,
      createdAt: new Date(now),
    })
    .run();
}

/** Where a group's messages stand. `waiting`: not sent yet (pending or being sent); `failed`: given up (failed, expired or cancelled). */
export interface GroupCounts {
  total: number;
  sent: number;
  waiting: number;
  failed: number;
  /** Sent, then reported bounced or complained of by the provider. */
  bounced: number;
}

/** A group message with its progress. */
export interface GroupItem {
  id: string;
  kind: MailGroupKind;
  subject: { en: string; fr: string };
  body: { en: string; fr: string };
  filters: Record<string, string> | null;
  release: number | null;
  recipients: number;
  createdBy: string;
  createdAt: Date;
  pausedAt: Date | null;
  pausedBy: string | null;
  counts: GroupCounts;
  /** Nothing left to send. */
  finished: boolean;
}

type GroupRow = typeof mailGroups.$inferSelect;

/** The counts of each group in `ids`. */
function countsOf(db: Pick<Db, "select">, ids: string[]): Map<string, GroupCounts> {
  const counts = new Map<string, GroupCounts>(ids.map((id) => [id, { total: 0, sent: 0, waiting: 0, failed: 0, bounced: 0 }]));
  if (ids.length === 0) return counts;
  for (const r of db
    .select({
      groupId: outbox.groupId,
      state: outbox.state,
      bounced: sql<number>`sum(case when ${outbox.delivery} in ('bounced', 'complained') then 1 else 0 end)`,
      n: sql<number>`count(*)`,
    })
    .from(outbox)
    .where(inArray(outbox.groupId, ids))
    .groupBy(outbox.groupId, outbox.state)
    .all()) {
    const c = counts.get(r.groupId!)!;
    c.total += r.n;
    c.bounced += r.bounced ?? 0;
    if (r.state === "sent") c.sent += r.n;
    else if (r.state === "pending" || r.state === "sending") c.waiting += r.n;
    else c.failed += r.n;
  }
  return counts;
}

function itemOf(row: GroupRow, counts: GroupCounts): GroupItem {
  return {
    id: row.id,
    kind: row.kind,
    subject: { en: row.subjectEn, fr: row.subjectFr },
    body: { en: row.bodyEn, fr: row.bodyFr },
    filters: row.filters ?? null,
    release: row.release,
    recipients: row.recipients,
    createdBy: row.createdByEmail,
    createdAt: row.createdAt,
    pausedAt: row.pausedAt,
    pausedBy: row.pausedByEmail,
    counts,
    finished: counts.waiting === 0,
  };
}

/** One page of group messages, newest first, with their progress. */
export function listGroups(
  db: Db,
  { page = 1, perPage = GROUPS_PAGE_SIZE }: { page?: number; perPage?: number } = {},
): { rows: GroupItem[]; total: number; page: number; pages: number } {
  const total = db
    .select({ n: sql<number>`count(*)` })
    .from(mailGroups)
    .get()!.n;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const current = Math.min(Math.max(1, page), pages);
  const rows = db
    .select()
    .from(mailGroups)
    .orderBy(desc(mailGroups.createdAt), desc(mailGroups.id))
    .limit(perPage)
    .offset((current - 1) * perPage)
    .all();
  const counts = countsOf(
    db,
    rows.map((r) => r.id),
  );
  return { rows: rows.map((r) => itemOf(r, counts.get(r.id)!)), total, page: current, pages };
}

/** The group messages still going (something waiting) or paused, newest first: what /admin/mail shows first. */
export function activeGroups(db: Db): GroupItem[] {
  const ids = db
    .selectDistinct({ id: outbox.groupId })
    .from(outbox)
    .where(and(isNotNull(outbox.groupId), inArray(outbox.state, ["pending", "sending"])))
    .all()
    .map((r) => r.id!);
  if (ids.length === 0) return [];
  const rows = db.select().from(mailGroups).where(inArray(mailGroups.id, ids)).orderBy(desc(mailGroups.createdAt)).all();
  const counts = countsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => itemOf(r, counts.get(r.id)!));
}

/** One group message, or undefined. */
export function getGroup(db: Db, id: string): GroupItem | undefined {
  const row = db.select().from(mailGroups).where(eq(mailGroups.id, id)).get();
  return row ? itemOf(row, countsOf(db, [id]).get(id)!) : undefined;
}

export type PauseRefusal = "not_found" | "already_paused" | "not_paused" | "finished";

/**
 * Pauses a group message (its messages not yet handed to the provider wait), with its audit entry,
 * in one transaction. Refused when it is paused already or has nothing left to send.
 */
export function pauseGroup(db: Db, actor: Actor, id: string, now: number = Date.now()): { ok: true } | { ok: false; reason: PauseRefusal } {
  return db.transaction(
    (tx) => {
      const group = tx.select().from(mailGroups).where(eq(mailGroups.id, id)).get();
      if (!group) return { ok: false, reason: "not_found" } as const;
      if (group.pausedAt) return { ok: false, reason: "already_paused" } as const;
      const counts = countsOf(tx, [id]).get(id)!;
      if (counts.waiting === 0) return { ok: false, reason: "finished" } as const;
      tx.update(mailGroups)
        .set({ pausedAt: new Date(now), pausedByEmail: actor.email })
        .where(and(eq(mailGroups.id, id), isNull(mailGroups.pausedAt)))
        .run();
      recordAudit(
        tx,
        {
          actor,
          action: "mail.group_pause",
          subjectType: "mail_group",
          subjectId: id,
          before: { paused: false },
          after: { paused: true, sent: counts.sent, waiting: counts.waiting, failed: counts.failed },
        },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}

/** Resumes a paused group message, audited; its waiting messages go again in their turn. */
export function resumeGroup(
  db: Db,
  actor: Actor,
  id: string,
  now: number = Date.now(),
): { ok: true } | { ok: false; reason: PauseRefusal } {
  return db.transaction(
    (tx) => {
      const group = tx.select().from(mailGroups).where(eq(mailGroups.id, id)).get();
      if (!group) return { ok: false, reason: "not_found" } as const;
      if (!group.pausedAt) return { ok: false, reason: "not_paused" } as const;
      const counts = countsOf(tx, [id]).get(id)!;
      tx.update(mailGroups).set({ pausedAt: null, pausedByEmail: null }).where(eq(mailGroups.id, id)).run();
      recordAudit(
        tx,
        {
          actor,
          action: "mail.group_resume",
          subjectType: "mail_group",
          subjectId: id,
          before: { paused: true, pausedBy: group.pausedByEmail, pausedAt: group.pausedAt.toISOString() },
          after: { paused: false, sent: counts.sent, waiting: counts.waiting, failed: counts.failed },
        },
        now,
      );
      return { ok: true } as const;
    },
    { behavior: "immediate" },
  );
}
