import { and, desc, or, sql } from "drizzle-orm";
import { type Db, escapeLike } from "../../db/client.ts";
import { auditLog } from "../../db/schema/index.ts";

type Writer = Pick<Db, "insert">;

export interface AuditEntry {
  actor: { id: number | null; email: string };
  /** What was done, as `area.verb`: `registration.approve`, `registrations.export`. */
  action: string;
  subjectType: string;
  subjectId?: string | number;
  /** The state before and after, without more personal data than the action needs. */
  before?: unknown;
  after?: unknown;
}

/** Appends an entry to the audit log (call it in the transaction of the change it records). */
export function recordAudit(db: Writer, entry: AuditEntry, now: number = Date.now()): void {
  db.insert(auditLog)
    .values({
      at: new Date(now),
      actorId: entry.actor.id,
      actorEmail: entry.actor.email,
      action: entry.action,
      subjectType: entry.subjectType,
      subjectId: entry.subjectId === undefined ? "" : String(entry.subjectId),
      before: entry.before ?? null,
      after: entry.after ?? null,
    })
    .run();
}

/** Entries, newest first, optionally matching `q` in actor, action or subject. */
export function searchAudit(db: Db, { q = "", page = 1, perPage = 50 }: { q?: string; page?: number; perPage?: number } = {}) {
  const pattern = `%${escapeLike(q.trim())}%`;
  const where = q.trim()
    ? or(
        sql`${auditLog.actorEmail} like ${pattern} escape '\\'`,
        sql`${auditLog.action} like ${pattern} escape '\\'`,
        and(sql`${auditLog.subjectType} || ':' || ${auditLog.subjectId} like ${pattern} escape '\\'`),
      )
    : undefined;
  const total = db
    .select({ n: sql<number>`count(*)` })
    .from(auditLog)
    .where(where)
    .get()!.n;
  const rows = db
    .select()
    .from(auditLog)
    .where(where)
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(perPage)
    .offset((Math.max(1, page) - 1) * perPage)
    .all();
  return { rows, total };
}
