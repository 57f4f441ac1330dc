import { createHash } from "node:crypto";
import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { fold, type Db, escapeLike } from "../../../db/client.ts";
import { REGISTRATION_STATES, registrations, users, type RegistrationState } from "../../../db/schema/index.ts";
import { compareNames, type Locale } from "../locale.ts";
import { recordAudit } from "../audit.ts";
import {
  approve,
  cancel,
  historyOf,
  moveToWaitlist,
  refusable,
  refuse,
  reject,
  type Changed,
  type Registration,
  type RegistrationDeps,
} from "./service.ts";

/** The organizers' view of registrations: search, filters, sorting, paging, and decisions in bulk. */

export const SORTS = ["created", "name", "email", "organisation", "country", "category", "status"] as const;
export type Sort = (typeof SORTS)[number];

export interface RegistrationQuery {
  q?: string;
  category?: string;
  status?: RegistrationState | "";
  country?: string;
  domainVerified?: boolean;
  sort?: Sort;
  dir?: "asc" | "desc";
  page?: number;
  perPage?: number;
  /** The reader's language, which orders names (`sort: "name"`). */
  locale?: Locale;
}

const sortColumns = {
  created: registrations.createdAt,
  name: registrations.name,
  email: registrations.email,
  organisation: registrations.organisation,
  country: registrations.country,
  category: registrations.category,
  status: registrations.status,
} as const;

/** Reads a query from URL search parameters, ignoring what is not valid. */
export function parseQuery(
  params: URLSearchParams,
): Required<Omit<RegistrationQuery, "domainVerified" | "locale">> & { domainVerified?: boolean } {
  const status = params.get("status") ?? "";
  const sort = params.get("sort") ?? "";
  const page = Number(params.get("page") ?? 1);
  const verified = params.get("verified");
  return {
    q: (params.get("q") ?? "").trim().slice(0, 200),
    category: (params.get("category") ?? "").slice(0, 50),
    status: (REGISTRATION_STATES as readonly string[]).includes(status) ? (status as RegistrationState) : "",
    country: /^[A-Z]{2}$/.test(params.get("country") ?? "") ? params.get("country")! : "",
    domainVerified: verified === "yes" ? true : verified === "no" ? false : undefined,
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as Sort) : "created",
    dir: params.get("dir") === "asc" ? "asc" : "desc",
    page: Number.isInteger(page) && page > 0 ? Math.min(page, 1_000_000) : 1,
    perPage: 50,
  };
}

function whereOf(query: RegistrationQuery): SQL | undefined {
  const conditions: SQL[] = [];
  const q = query.q?.trim();
  if (q) {
    const pattern = `%${escapeLike(fold(q))}%`;
    conditions.push(
      sql`(fold(${registrations.name}) like ${pattern} escape '\\' or ${registrations.email} like ${pattern} escape '\\' or fold(${registrations.organisation}) like ${pattern} escape '\\')`,
    );
  }
  if (query.category) conditions.push(eq(registrations.category, query.category));
  if (query.status) conditions.push(eq(registrations.status, query.status));
  if (query.country) conditions.push(eq(registrations.country, query.country));
  if (query.domainVerified !== undefined) conditions.push(eq(registrations.domainVerified, query.domainVerified));
  return conditions.length ? and(...conditions) : undefined;
}

/**
 * Ids of the matching registrations in name order as readers of `locale` sort names (SQLite's own
 * order knows only bytes): the names are read and sorted here, then a page is cut from the ids.
 */
function idsByName(db: Db, where: SQL | undefined, dir: "asc" | "desc", locale: Locale): number[] {
  const compare = compareNames(locale);
  const rows = db.select({ id: registrations.id, name: registrations.name }).from(registrations).where(where).all();
  rows.sort((a, b) => compare(a.name, b.name) || a.id - b.id);
  if (dir === "desc") rows.reverse();
  return rows.map((r) => r.id);
}

/** The registrations of `ids`, in that order. */
function inOrder(db: Db, ids: number[]): Registration[] {
  if (!ids.length) return [];
  const byId = new Map(
    db
      .select()
      .from(registrations)
      .where(inArray(registrations.id, ids))
      .all()
      .map((r) => [r.id, r]),
  );
  return ids.map((id) => byId.get(id)!);
}

/** One page of matching registrations and the total. */
export function listRegistrations(db: Db, query: RegistrationQuery): { rows: Registration[]; total: number; page: number; pages: number } {
  const where = whereOf(query);
  const perPage = query.perPage ?? 50;
  const total = db
    .select({ n: sql<number>`count(*)` })
    .from(registrations)
    .where(where)
    .get()!.n;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const page = Math.min(Math.max(1, query.page ?? 1), pages);
  if (query.sort === "name") {
    const ids = idsByName(db, where, query.dir ?? "desc", query.locale ?? "en");
    return { rows: inOrder(db, ids.slice((page - 1) * perPage, page * perPage)), total, page, pages };
  }
  const column = sortColumns[query.sort ?? "created"];
  const rows = db
    .select()
    .from(registrations)
    .where(where)
    .orderBy(query.dir === "asc" ? asc(column) : desc(column), query.dir === "asc" ? asc(registrations.id) : desc(registrations.id))
    .limit(perPage)
    .offset((page - 1) * perPage)
    .all();
  return { rows, total, page, pages };
}

/** Every matching registration (for the CSV export), in the list's order. */
export function allRegistrations(db: Db, query: RegistrationQuery): Registration[] {
  if (query.sort === "name") return inOrder(db, idsByName(db, whereOf(query), query.dir ?? "desc", query.locale ?? "en"));
  const column = sortColumns[query.sort ?? "created"];
  return db
    .select()
    .from(registrations)
    .where(whereOf(query))
    .orderBy(query.dir === "asc" ? asc(column) : desc(column), query.dir === "asc" ? asc(registrations.id) : desc(registrations.id))
    .all();
}

/** Most registrations one decision may take "all matching the filter" (narrow the filter beyond). */
export const MAX_BULK = 5000;

/** The ids of every registration matching `query` (all pages), in id order. */
export function matchingIds(db: Db, query: RegistrationQuery): number[] {
  return db
    .select({ id: registrations.id })
    .from(registrations)
    .where(whereOf(query))
    .orderBy(asc(registrations.id))
    .all()
    .map((r) => r.id);
}

/**
 * A short fingerprint of a set of registrations: the page shows the count of what matches its
 * filter with this value, and a decision on "all matching" applies only while the set is the same.
 */
export function matchingDigest(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  return createHash("sha256").update(sorted.join(",")).digest("base64url").slice(0, 22);
}

export const DECISIONS = ["approve", "reject", "waitlist", "cancel"] as const;
export type DecisionKind = (typeof DECISIONS)[number];

export interface Staff {
  id: number;
  email: string;
}

/**
 * Applies one decision to one or many registrations, each with its audit entry, all in one
 * transaction: either every one is applied, or (one refused) none, and the refusal names it.
 * Returns the registrations after.
 */
export function decideRegistrations(
  deps: RegistrationDeps,
  staff: Staff,
  kind: DecisionKind,
  ids: readonly number[],
  reason = "",
): Changed<{ registrations: Registration[] }> {
  const now = deps.now?.() ?? Date.now();
  const actor = `staff:${staff.id}` as const;
  if (ids.length === 0) return { ok: false, reason: "invalid_state", detail: "no registration chosen" };
  if (kind === "reject" && reason.trim() === "") return { ok: false, reason: "invalid_state", detail: "a reason is required" };
  return refusable(() => ({
    registrations: deps.db.transaction(
      (tx) => {
        const inner: RegistrationDeps = { ...deps, db: tx as unknown as Db, now: () => now };
        return [...new Set(ids)].map((id) => {
          const before = tx
            .select({ status: registrations.status, seatHeld: registrations.seatHeld })
            .from(registrations)
            .where(eq(registrations.id, id))
            .get();
          if (!before) refuse("not_found", `no registration ${id}`, id);
          const result =
            kind === "approve"
              ? approve(inner, id, actor)
              : kind === "reject"
                ? reject(inner, id, reason, actor)
                : kind === "waitlist"
                  ? moveToWaitlist(inner, id, actor)
                  : cancel(inner, id, actor);
          // The organizer needs to know which of the ticked rows stopped the whole decision (all of it is rolled back).
          if (!result.ok) refuse(result.reason, result.detail, result.registrationId ?? id);
          const after = result.registration;
          recordAudit(
            tx,
            {
              actor: staff,
              action: `registration.${kind}`,
              subjectType: "registration",
              subjectId: id,
              before,
              after: { status: after.status, seatHeld: after.seatHeld, ...(kind === "reject" ? { reason: reason.trim() } : {}) },
            },
            now,
          );
          return after;
        });
      },
      { behavior: "immediate" },
    ),
  }));
}

/** Who changed a registration, as the organizers see it: the attendee, the system, or a staff account by its address. */
export type HistoryActor = { kind: "attendee" } | { kind: "system" } | { kind: "staff"; id: number; email: string | null };

/** What a history entry says beyond its states: a known event, the fields edited, or the organizers' own words (a reason). */
export type HistoryNote =
  | { kind: "registered" | "addressConfirmed" | "expired" | "checkedIn" }
  | { kind: "edited"; fields: string[] }
  | { kind: "text"; text: string };

/** One entry of a registration's history for the organizers. */
export interface StaffHistoryEntry {
  at: Date;
  fromStatus: RegistrationState | null;
  toStatus: RegistrationState;
  actor: HistoryActor;
  note: HistoryNote | null;
}

/** The notes service.ts writes, stable since the first version: kept as they are, read back as events. */
const KNOWN_NOTES: Record<string, Extract<HistoryNote, { kind: "registered" | "addressConfirmed" | "expired" | "checkedIn" }>["kind"]> = {
  registered: "registered",
  "address confirmed": "addressConfirmed",
  "expired: address not confirmed in time": "expired",
  "checked in": "checkedIn",
};

/** A stored note as an event the pages put in words. */
export function historyNote(note: string): HistoryNote | null {
  if (!note) return null;
  const known = KNOWN_NOTES[note];
  if (known) return { kind: known };
  const edited = /^edited: (.+)$/.exec(note);
  if (edited) return { kind: "edited", fields: edited[1]!.split(", ") };
  return { kind: "text", text: note };
}

/** A registration's history, oldest first, with staff accounts named by their address (null once the account is gone). */
export function staffHistory(db: Db, registrationId: number): StaffHistoryEntry[] {
  const events = historyOf(db, registrationId);
  const staffIds = [...new Set(events.map((e) => /^staff:(\d+)$/.exec(e.actor)?.[1]).filter((id): id is string => !!id))].map(Number);
  const emails = new Map(
    staffIds.length === 0
      ? []
      : db
          .select({ id: users.id, email: users.email })
          .from(users)
          .where(inArray(users.id, staffIds))
          .all()
          .map((u) => [u.id, u.email] as const),
  );
  return events.map((e) => {
    const staff = /^staff:(\d+)$/.exec(e.actor);
    const actor: HistoryActor = staff
      ? { kind: "staff", id: Number(staff[1]), email: emails.get(Number(staff[1])) ?? null }
      : e.actor === "attendee"
        ? { kind: "attendee" }
        : { kind: "system" };
    return { at: e.at, fromStatus: e.fromStatus, toStatus: e.toStatus, actor, note: historyNote(e.note) };
  });
}
