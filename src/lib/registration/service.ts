import { and, asc, eq, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import {
  ACTIVE_STATES,
  activeRegistration,
  checkinPresence,
  registrationEvents,
  registrations,
  registrationTokens,
  type RegistrationState,
} from "../../../db/schema/index.ts";
import type { Edition } from "../config/edition.ts";
import { enqueue } from "../email/outbox.ts";
import type { TemplateName } from "../email/payloads.ts";
import { deriveSecret, hashSecret, randomNonce } from "../security/secrets.ts";
import { emitWebhook, registrationEventOf } from "../webhooks/events.ts";
import { VETTED_FIELDS, type EditableField, type RegistrationInput } from "./form.ts";

/**
 * The registration domain: every state change of the brief, each in one IMMEDIATE transaction
 * with the event that records it and the e-mail it causes (written to the outbox). Seats are
 * counted from `seat_held` inside the same transaction, so concurrent confirmations (in this
 * process or another) can never exceed a capacity.
 */

export type Registration = typeof registrations.$inferSelect;
/** Who made a change: the attendee (through their private link), the system (expiry, promotion), or a staff account. */
export type Actor = "attendee" | "system" | `staff:${string}`;

export interface RegistrationDeps {
  db: Db;
  edition: Edition;
  /** Application key (src/lib/security/secrets.ts) that derives tokens and ticket secrets. */
  appKey: Buffer;
  now?: () => number;
}

/** Why a change of a registration was refused. */
export type RegistrationRefusal = "not_found" | "invalid_state" | "conflict";

/** A refused change: nothing was written. `detail` says why, for logs and tests (pages word `reason`). */
export interface Refused {
  ok: false;
  reason: RegistrationRefusal;
  detail: string;
  /** In a change of many registrations, the one that was refused. */
  registrationId?: number;
}

/** What a change of registrations gives: its result, or why it was refused. */
export type Changed<T extends object> = ({ ok: true } & T) | Refused;

/** Carries a refusal out of a transaction (which it rolls back) to `refusable`, which returns it as a value. */
class Refusal extends Error {
  readonly refused: Refused;
  constructor(refused: Refused) {
    super(refused.detail);
    this.refused = refused;
  }
}

/** Refuses the change under way (inside `refusable`): the transaction is rolled back, nothing is written. */
export function refuse(reason: RegistrationRefusal, detail: string, registrationId?: number): never {
  throw new Refusal({ ok: false, reason, detail, ...(registrationId === undefined ? {} : { registrationId }) });
}

/** Runs a change, turning a refusal (`refuse`) into its value; any other error is a bug and goes on. */
export function refusable<T extends object>(change: () => T): Changed<T> {
  try {
    return { ok: true, ...change() };
  } catch (error) {
    if (error instanceof Refusal) return error.refused;
    throw error;
  }
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const ACTIVE: readonly RegistrationState[] = ACTIVE_STATES;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Whether `email` is in one of the configured official domains (`*.gouv.fr` covers any subdomain, `interpol.int` itself). */
export function isOfficialAddress(email: string, patterns: readonly string[]): boolean {
  const at = email.lastIndexOf("@");
  if (at < 0) return false;
  const domain = email.slice(at + 1).toLowerCase();
  return patterns.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith("*.") ? domain.endsWith(p.slice(1)) && domain.length > p.length - 1 : domain === p;
  });
}

function categoryOf(edition: Edition, id: string) {
  const category = edition.registration.categories.find((c) => c.id === id);
  if (!category) refuse("invalid_state", `unknown category ${id}`);
  return category;
}

/** The ticket secret of a registration (what its QR code holds). */
export function ticketSecretOf(appKey: Buffer, registration: Pick<Registration, "ticketNonce">): string {
  return deriveSecret(appKey, "ticket", registration.ticketNonce);
}

/** A new private manage link of a registration, in the caller's transaction: its nonce (for an e-mail) and token. */
export function issueToken(tx: Pick<Tx, "insert">, appKey: Buffer, registrationId: number, now: number): { nonce: string; token: string } {
  const nonce = randomNonce();
  const token = deriveSecret(appKey, "manage", nonce);
  tx.insert(registrationTokens)
    .values({ hash: hashSecret(token), registrationId, nonce, createdAt: new Date(now) })
    .run();
  return { nonce, token };
}

function record(tx: Tx, registration: Registration, to: RegistrationState, actor: Actor, now: number, note = ""): void {
  tx.insert(registrationEvents)
    .values({ registrationId: registration.id, at: new Date(now), actor, fromStatus: registration.status, toStatus: to, note })
    .run();
}

/** The organizers' webhooks about a registration (decision 40), in the caller's transaction. */
function tellWebhooks(tx: Tx, registration: Registration, type: Parameters<typeof emitWebhook>[1] | null, now: number): void {
  if (type) emitWebhook(tx, type, { registration: registration.id, state: registration.status, category: registration.category }, now);
}

/**
 * Moves `registration` to `to` with `patch`, records the event, tells the webhooks (a seat given
 * from the waiting list is `promoted`), and returns the updated row.
 */
function transition(
  tx: Tx,
  registration: Registration,
  to: RegistrationState,
  actor: Actor,
  now: number,
  patch: Partial<Registration> = {},
  note = "",
  { promoted = false }: { promoted?: boolean } = {},
): Registration {
  record(tx, registration, to, actor, now, note);
  const updated = tx
    .update(registrations)
    .set({ ...patch, status: to, version: sql`${registrations.version} + 1`, updatedAt: new Date(now) })
    .where(eq(registrations.id, registration.id))
    .returning()
    .get()!;
  tellWebhooks(tx, updated, registrationEventOf(to, promoted), now);
  return updated;
}

function mail(
  tx: Tx,
  registration: Registration,
  template: TemplateName,
  payload: Record<string, unknown>,
  now: number,
  expiresAt: Date | null = null,
): void {
  enqueue(
    tx,
    {
      template,
      language: registration.language,
      recipient: registration.email,
      payload: { name: registration.name, category: registration.category, ...payload },
      registrationId: registration.id,
      expiresAt,
    },
    now,
  );
}

/** The latest manage-link nonce of a registration, for e-mails that carry the link. */
function latestNonce(tx: Tx, registrationId: number): string {
  const row = tx
    .select({ nonce: registrationTokens.nonce })
    .from(registrationTokens)
    .where(eq(registrationTokens.registrationId, registrationId))
    .orderBy(sql`${registrationTokens.createdAt} desc`)
    .limit(1)
    .get();
  if (!row) refuse("invalid_state", `registration ${registrationId} has no manage link`);
  return row.nonce;
}

/** Seats held per category and overall. */
function seatCounts(tx: Tx): { byCategory: Map<string, number>; total: number } {
  const rows = tx
    .select({ category: registrations.category, seats: sql<number>`count(*)` })
    .from(registrations)
    .where(eq(registrations.seatHeld, true))
    .groupBy(registrations.category)
    .all();
  const byCategory = new Map(rows.map((r) => [r.category, r.seats]));
  return { byCategory, total: rows.reduce((sum, r) => sum + r.seats, 0) };
}

function hasRoom(edition: Edition, counts: { byCategory: Map<string, number>; total: number }, category: string): boolean {
  const capacity = edition.registration.categories.find((c) => c.id === category)?.capacity ?? 0;
  return (counts.byCategory.get(category) ?? 0) < capacity && counts.total < edition.registration.capacity;
}

function giveSeat(
  tx: Tx,
  registration: Registration,
  actor: Actor,
  now: number,
  template: "registration.confirmed" | "registration.promoted",
): Registration {
  const confirmed = transition(tx, registration, "confirmed", actor, now, { seatHeld: true, waitlistedAt: null }, "", {
    promoted: template === "registration.promoted",
  });
  mail(tx, confirmed, template, { manageNonce: latestNonce(tx, confirmed.id), ticketNonce: confirmed.ticketNonce }, now);
  return confirmed;
}

/**
 * Promotes waiting registrations, longest-waiting first, while their category and the forum have
 * room. Called after every change that frees a seat (and on start, after a capacity change).
 */
function fillSeats(tx: Tx, edition: Edition, now: number): Registration[] {
  const waiting = tx
    .select()
    .from(registrations)
    .where(eq(registrations.status, "waitlisted"))
    .orderBy(asc(registrations.waitlistedAt), asc(registrations.id))
    .all();
  if (waiting.length === 0) return [];
  const counts = seatCounts(tx);
  const promoted: Registration[] = [];
  for (const registration of waiting) {
    if (counts.total >= edition.registration.capacity) break;
    if (!hasRoom(edition, counts, registration.category)) continue;
    promoted.push(giveSeat(tx, registration, "system", now, "registration.promoted"));
    counts.byCategory.set(registration.category, (counts.byCategory.get(registration.category) ?? 0) + 1);
    counts.total += 1;
  }
  return promoted;
}

/** Gives a seat if one is free (after those already waiting), else a place on the waiting list. */
function allocate(tx: Tx, edition: Edition, registration: Registration, actor: Actor, now: number): Registration {
  fillSeats(tx, edition, now);
  if (hasRoom(edition, seatCounts(tx), registration.category)) return giveSeat(tx, registration, actor, now, "registration.confirmed");
  const waitlisted = transition(tx, registration, "waitlisted", actor, now, {
    seatHeld: false,
    waitlistedAt: registration.waitlistedAt ?? new Date(now),
  });
  mail(tx, waitlisted, "registration.waitlisted", { manageNonce: latestNonce(tx, waitlisted.id) }, now);
  return waitlisted;
}

function immediate<T>(db: Db, fn: (tx: Tx) => T): T {
  return db.transaction(fn, { behavior: "immediate" });
}

function byId(tx: Tx, id: number): Registration {
  const registration = tx.select().from(registrations).where(eq(registrations.id, id)).get();
  if (!registration) refuse("not_found", `no registration ${id}`);
  return registration;
}

function byToken(tx: Tx | Db, token: string): Registration | undefined {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  return tx
    .select({ registration: registrations })
    .from(registrationTokens)
    .innerJoin(registrations, eq(registrations.id, registrationTokens.registrationId))
    .where(eq(registrationTokens.hash, hashSecret(token)))
    .get()?.registration;
}

/** The registration a private link belongs to, if any. */
export function findByToken(deps: RegistrationDeps, token: string): Registration | undefined {
  return byToken(deps.db, token);
}

/**
 * A submitted form. A new address gets a `pending_email` registration and the "confirm your
 * address" message. An address that already has an active registration gets a message with a new
 * private link instead, and nothing else changes: the caller answers both the same way.
 */
export function submit(deps: RegistrationDeps, input: RegistrationInput): { outcome: "created" | "existing"; registrationId: number } {
  const now = deps.now?.() ?? Date.now();
  const { edition, appKey } = deps;
  const category = categoryOf(edition, input.category);
  const statements = submitStatements(deps.db);
  return immediate(deps.db, (tx) => {
    const existing = statements.active.get({ email: input.email });
    if (existing) {
      const { nonce } = newManageToken(statements, appKey, existing.id, now);
      // Mail sent before an address is confirmed carries no text typed into the form (the name):
      // anyone can submit any address, and must not be able to write to its owner through us.
      mail(tx, existing, "registration.already_registered", { manageNonce: nonce, name: "" }, now);
      return { outcome: "existing" as const, registrationId: existing.id };
    }
    const ticketNonce = randomNonce();
    const created = statements.insert.get({
      email: input.email,
      category: category.id,
      language: input.language,
      name: input.name,
      organisation: input.organisation,
      country: input.country,
      dietary: input.dietary,
      accessibility: input.accessibility,
      agency: input.agency,
      position: input.position,
      officialEmail: input.officialEmail,
      company: input.company,
      role: input.role,
      institution: input.institution,
      policyBody: input.policyBody,
      listConsent: input.listConsent,
      domainVerified: category.vetting && isOfficialAddress(input.email, edition.officialDomains),
      expiresAt: new Date(now + edition.registration.pendingEmailHours * 3_600_000),
      ticketNonce,
      ticketHash: hashSecret(deriveSecret(appKey, "ticket", ticketNonce)),
      now: new Date(now),
    })!;
    statements.registered.run({ registrationId: created.id, at: new Date(now) });
    tellWebhooks(tx, created, "registration.created", now);
    const { nonce } = newManageToken(statements, appKey, created.id, now);
    // Worth nothing once the registration expires unconfirmed: never sent late.
    mail(tx, created, "registration.confirm_address", { manageNonce: nonce, name: "" }, now, created.expiresAt);
    return { outcome: "created" as const, registrationId: created.id };
  });
}

/**
 * The statements of a submission, built and prepared once per connection: a burst of forms (a
 * mailing, registration opening) runs them thousands of times, and Drizzle otherwise builds the SQL
 * and SQLite prepares it again at every call. Run inside the submission's transaction (one
 * connection, so they are part of it).
 */
const preparedSubmit = new WeakMap<object, ReturnType<typeof prepareSubmit>>();

function submitStatements(db: Db) {
  let statements = preparedSubmit.get(db.$client);
  if (!statements) preparedSubmit.set(db.$client, (statements = prepareSubmit(db)));
  return statements;
}

function prepareSubmit(db: Db) {
  const p = sql.placeholder;
  return {
    active: db
      .select()
      .from(registrations)
      .where(and(eq(registrations.email, p("email")), activeRegistration))
      .prepare(),
    insert: db
      .insert(registrations)
      .values({
        email: p("email"),
        category: p("category"),
        status: "pending_email",
        language: p("language"),
        name: p("name"),
        organisation: p("organisation"),
        country: p("country"),
        dietary: p("dietary"),
        accessibility: p("accessibility"),
        agency: p("agency"),
        position: p("position"),
        officialEmail: p("officialEmail"),
        company: p("company"),
        role: p("role"),
        institution: p("institution"),
        policyBody: p("policyBody"),
        listConsent: p("listConsent"),
        privacyConsentAt: p("now"),
        domainVerified: p("domainVerified"),
        expiresAt: p("expiresAt"),
        ticketNonce: p("ticketNonce"),
        ticketHash: p("ticketHash"),
        createdAt: p("now"),
        updatedAt: p("now"),
      })
      .returning()
      .prepare(),
    registered: db
      .insert(registrationEvents)
      .values({
        registrationId: p("registrationId"),
        at: p("at"),
        actor: "attendee",
        fromStatus: null,
        toStatus: "pending_email",
        note: "registered",
      })
      .prepare(),
    token: db
      .insert(registrationTokens)
      .values({ hash: p("hash"), registrationId: p("registrationId"), nonce: p("nonce"), createdAt: p("createdAt") })
      .prepare(),
  };
}

/** issueToken with the prepared statement of a submission. */
function newManageToken(statements: ReturnType<typeof prepareSubmit>, appKey: Buffer, registrationId: number, now: number) {
  const nonce = randomNonce();
  const token = deriveSecret(appKey, "manage", nonce);
  statements.token.run({ hash: hashSecret(token), registrationId, nonce, createdAt: new Date(now) });
  return { nonce, token };
}

/** What a confirmed address clears: the provider's report that the confirmation bounced. */
const ADDRESS_WORKS = { emailBouncedAt: null, emailBounce: null } as const;

/**
 * The attendee followed the e-mail link and confirmed the address. Vetted categories wait for
 * review; the others get a seat or a place on the waiting list. Confirming twice changes nothing;
 * a link followed after the deadline finds the registration expired.
 */
export function confirmEmail(deps: RegistrationDeps, token: string): Changed<{ registration: Registration }> {
  const now = deps.now?.() ?? Date.now();
  return refusable(() => ({
    registration: immediate(deps.db, (tx) => {
      const registration = byToken(tx, token);
      if (!registration) refuse("not_found", "unknown link");
      if (registration.status !== "pending_email") return registration;
      if (registration.expiresAt && registration.expiresAt.getTime() <= now) {
        return transition(tx, registration, "cancelled", "system", now, { expiresAt: null }, "expired: address not confirmed in time");
      }
      if (categoryOf(deps.edition, registration.category).vetting) {
        // The address took our message after all: an earlier bounce no longer says anything.
        const reviewed = transition(
          tx,
          registration,
          "pending_review",
          "attendee",
          now,
          { expiresAt: null, ...ADDRESS_WORKS },
          "address confirmed",
        );
        mail(tx, reviewed, "registration.under_review", { manageNonce: latestNonce(tx, reviewed.id) }, now);
        return reviewed;
      }
      const confirmedAddress = { ...registration, expiresAt: null, ...ADDRESS_WORKS };
      tx.update(registrations)
        .set({ expiresAt: null, ...ADDRESS_WORKS })
        .where(eq(registrations.id, registration.id))
        .run();
      return allocate(tx, deps.edition, confirmedAddress, "attendee", now);
    }),
  }));
}

/** Vetting: an organizer approves a registration under review. It keeps a seat it held, else gets one or waits. */
export function approve(deps: RegistrationDeps, id: number, actor: Actor): Changed<{ registration: Registration }> {
  const now = deps.now?.() ?? Date.now();
  return refusable(() => ({
    registration: immediate(deps.db, (tx) => {
      const registration = byId(tx, id);
      if (registration.status !== "pending_review")
        refuse("invalid_state", `registration ${id} is ${registration.status}, not under review`);
      if (registration.seatHeld) return giveSeat(tx, registration, actor, now, "registration.confirmed");
      return allocate(tx, deps.edition, registration, actor, now);
    }),
  }));
}

/** Vetting: an organizer rejects a registration, with a reason the attendee reads. A seat it held goes to the next in line. */
export function reject(deps: RegistrationDeps, id: number, reason: string, actor: Actor): Changed<{ registration: Registration }> {
  const now = deps.now?.() ?? Date.now();
  const trimmed = reason.trim();
  if (trimmed === "") return { ok: false, reason: "invalid_state", detail: "a reason is required" };
  return refusable(() => ({
    registration: immediate(deps.db, (tx) => {
      const registration = byId(tx, id);
      if (!["pending_review", "waitlisted", "confirmed"].includes(registration.status)) {
        refuse("invalid_state", `registration ${id} is ${registration.status} and cannot be rejected`);
      }
      const rejected = transition(
        tx,
        registration,
        "rejected",
        actor,
        now,
        { seatHeld: false, waitlistedAt: null, rejectionReason: trimmed },
        trimmed,
      );
      mail(tx, rejected, "registration.rejected", { reason: trimmed }, now);
      if (registration.seatHeld) fillSeats(tx, deps.edition, now);
      return rejected;
    }),
  }));
}

/** The attendee (or an organizer) cancels. A held seat goes to the next in line, who is told. */
export function cancel(deps: RegistrationDeps, id: number, actor: Actor): Changed<{ registration: Registration }> {
  const now = deps.now?.() ?? Date.now();
  return refusable(() => ({
    registration: immediate(deps.db, (tx) => {
      const registration = byId(tx, id);
      if (!ACTIVE.includes(registration.status)) refuse("invalid_state", `registration ${id} is already ${registration.status}`);
      const cancelled = transition(tx, registration, "cancelled", actor, now, { seatHeld: false, waitlistedAt: null, expiresAt: null });
      mail(tx, cancelled, "registration.cancelled", {}, now);
      if (registration.seatHeld) fillSeats(tx, deps.edition, now);
      return cancelled;
    }),
  }));
}

export type DetailsInput = Pick<Registration, EditableField>;

/**
 * The attendee edits their details. `version` is the one they saw: a registration changed since
 * is refused (conflict) rather than silently overwritten. Changing a vetted field of a confirmed or
 * waiting registration in a vetted category sends it back to review; a held seat is kept.
 */
export function updateDetails(
  deps: RegistrationDeps,
  id: number,
  version: number,
  details: DetailsInput,
  actor: Actor,
): Changed<{ registration: Registration; changed: EditableField[]; backToReview: boolean }> {
  const now = deps.now?.() ?? Date.now();
  return refusable(() =>
    immediate(deps.db, (tx) => {
      const registration = byId(tx, id);
      if (!ACTIVE.includes(registration.status)) refuse("invalid_state", `registration ${id} is ${registration.status}`);
      if (registration.version !== version) refuse("conflict", "the registration changed since it was loaded");
      const changed = (Object.keys(details) as EditableField[]).filter((field) => details[field] !== registration[field]);
      if (changed.length === 0) return { registration, changed, backToReview: false };
      const vetting = categoryOf(deps.edition, registration.category).vetting;
      const backToReview =
        vetting &&
        (registration.status === "confirmed" || registration.status === "waitlisted") &&
        changed.some((f) => (VETTED_FIELDS as readonly string[]).includes(f));
      const patch = Object.fromEntries(changed.map((field) => [field, details[field]])) as Partial<Registration>;
      const note = `edited: ${changed.join(", ")}`;
      if (backToReview) {
        const reviewed = transition(tx, registration, "pending_review", actor, now, patch, note);
        mail(tx, reviewed, "registration.back_to_review", { manageNonce: latestNonce(tx, reviewed.id) }, now);
        return { registration: reviewed, changed, backToReview };
      }
      record(tx, registration, registration.status, actor, now, note);
      const updated = tx
        .update(registrations)
        .set({ ...patch, version: sql`${registrations.version} + 1`, updatedAt: new Date(now) })
        .where(eq(registrations.id, id))
        .returning()
        .get()!;
      return { registration: updated, changed, backToReview };
    }),
  );
}

/** Unconfirmed registrations past their deadline are cancelled (they never held anything). Returns how many. */
export function expirePending(deps: RegistrationDeps): number {
  const now = deps.now?.() ?? Date.now();
  return immediate(deps.db, (tx) => {
    const due = tx
      .select()
      .from(registrations)
      .where(and(eq(registrations.status, "pending_email"), isNotNull(registrations.expiresAt), lt(registrations.expiresAt, new Date(now))))
      .all();
    for (const registration of due)
      transition(tx, registration, "cancelled", "system", now, { expiresAt: null }, "expired: address not confirmed in time");
    return due.length;
  });
}

/** Promotes waiting registrations where seats are free (after a capacity change, on start). Returns the promoted. */
export function promoteWaiting(deps: RegistrationDeps): Registration[] {
  const now = deps.now?.() ?? Date.now();
  return immediate(deps.db, (tx) => fillSeats(tx, deps.edition, now));
}

/** Which registration a check-in is for: the secret of its ticket (the QR code) or its id (found by name at the desk). */
export type CheckInKey = { ticketSecret: string } | { id: number };

/** The registration a check-in key designates, if any. */
export function findForCheckIn(db: Db | Tx, key: CheckInKey): Registration | undefined {
  const where = "id" in key ? eq(registrations.id, key.id) : eq(registrations.ticketHash, hashSecret(key.ticketSecret));
  return db.select().from(registrations).where(where).get();
}

/** At the venue: records the check-in of a confirmed ticket (once). */
export function checkIn(
  deps: RegistrationDeps,
  ticketSecret: string,
  actor: Actor,
): Changed<{ registration: Registration; alreadyCheckedIn: boolean }> {
  return checkInBy(deps, { ticketSecret }, actor);
}

/** At the venue: records the check-in of a confirmed registration, by ticket or by id (once; again is a no-op). */
export function checkInBy(
  deps: RegistrationDeps,
  key: CheckInKey,
  actor: Actor,
): Changed<{ registration: Registration; alreadyCheckedIn: boolean }> {
  const now = deps.now?.() ?? Date.now();
  return refusable(() =>
    immediate(deps.db, (tx) => {
      const registration = findForCheckIn(tx, key);
      if (!registration) refuse("not_found", "id" in key ? `no registration ${key.id}` : "unknown ticket");
      if (registration.status !== "confirmed") refuse("invalid_state", `registration is ${registration.status}`);
      if (registration.checkedInAt) return { registration, alreadyCheckedIn: true };
      record(tx, registration, "confirmed", actor, now, "checked in");
      const updated = tx
        .update(registrations)
        .set({ checkedInAt: new Date(now), updatedAt: new Date(now) })
        .where(eq(registrations.id, registration.id))
        .returning()
        .get()!;
      tellWebhooks(tx, updated, "registration.checked_in", now);
      return { registration: updated, alreadyCheckedIn: false };
    }),
  );
}

/** Seats, waiting list and reviews per category, for the form and (later) the organizers. */
export function availability(
  db: Db,
  edition: Edition,
): { category: string; capacity: number; taken: number; waiting: number; open: boolean }[] {
  const counts = seatCounts(db as unknown as Tx);
  const waiting = new Map(
    db
      .select({ category: registrations.category, n: sql<number>`count(*)` })
      .from(registrations)
      .where(eq(registrations.status, "waitlisted"))
      .groupBy(registrations.category)
      .all()
      .map((r) => [r.category, r.n]),
  );
  return edition.registration.categories.map((c) => ({
    category: c.id,
    capacity: c.capacity,
    taken: counts.byCategory.get(c.id) ?? 0,
    waiting: waiting.get(c.id) ?? 0,
    open: hasRoom(edition, counts, c.id) && (waiting.get(c.id) ?? 0) === 0,
  }));
}

/** The registration's history, oldest first. */
export function historyOf(db: Db, id: number) {
  return db
    .select()
    .from(registrationEvents)
    .where(eq(registrationEvents.registrationId, id))
    .orderBy(asc(registrationEvents.at), asc(registrationEvents.id))
    .all();
}

/** Everything held about a registration, for the attendee's own download (no hashes, no nonces). */
export function personalData(db: Db, registration: Registration) {
  const { ticketNonce: _nonce, ticketHash: _hash, version: _version, ...fields } = registration;
  return {
    registration: fields,
    history: historyOf(db, registration.id).map(({ at, actor, fromStatus, toStatus, note }) => ({
      at,
      actor: actor.startsWith("staff:") ? "staff" : actor,
      fromStatus,
      toStatus,
      note,
    })),
    // Where entry and exit were counted (decision 38): each day's entries and exits at the doors.
    ...doorsOf(db, registration.id),
  };
}

function doorsOf(db: Db, id: number): { doors?: { day: string; entries: number; exits: number; inside: boolean; lastAt: Date }[] } {
  const rows = db.select().from(checkinPresence).where(eq(checkinPresence.registrationId, id)).orderBy(asc(checkinPresence.day)).all();
  return rows.length === 0
    ? {}
    : { doors: rows.map((r) => ({ day: r.day, entries: r.entries, exits: r.exits, inside: r.inside, lastAt: r.since })) };
}

/**
 * The attendee asks for erasure: the registration, its history, links and queued mail are deleted.
 * A seat it held goes to the next in line (who is told). Nothing is kept but that it happened:
 * a count in the log, no personal data.
 */
export function erase(deps: RegistrationDeps, id: number): void {
  const now = deps.now?.() ?? Date.now();
  immediate(deps.db, (tx) => {
    const registration = byId(tx, id);
    tx.delete(registrations).where(eq(registrations.id, registration.id)).run();
    if (registration.seatHeld) fillSeats(tx, deps.edition, now);
  });
}

/** Midnight after the last day of the edition plus `purgeAfterDays`, in UTC (a day's margin either way is immaterial). */
export function purgeDate(edition: Pick<Edition, "endDate" | "registration">): number {
  return Date.parse(`${edition.endDate}T00:00:00Z`) + (edition.registration.purgeAfterDays + 1) * 86_400_000;
}

/**
 * Registration data is kept `purgeAfterDays` after the event, then deleted with its history, links
 * and mail (the brief's retention rule). Only registrations made before that date go: in a real
 * edition that is all of them; the demo edition, which lies in the past, keeps what is registered
 * today. Returns how many registrations were deleted.
 */
export function purgeAfterEvent(deps: RegistrationDeps): number {
  const now = deps.now?.() ?? Date.now();
  const due = purgeDate(deps.edition);
  if (now < due) return 0;
  return immediate(
    deps.db,
    (tx) =>
      tx
        .delete(registrations)
        .where(lt(registrations.createdAt, new Date(due)))
        .run().changes,
  );
}

/**
 * An organizer puts a registration under review on the waiting list (approved, but behind those
 * already waiting). A seat it held (a confirmed registration back in review) is released; if seats
 * are free the longest-waiting get them at once, as always.
 */
export function moveToWaitlist(deps: RegistrationDeps, id: number, actor: Actor): Changed<{ registration: Registration }> {
  const now = deps.now?.() ?? Date.now();
  return refusable(() => ({
    registration: immediate(deps.db, (tx) => {
      const registration = byId(tx, id);
      if (registration.status !== "pending_review") {
        refuse("invalid_state", `registration ${id} is ${registration.status}, not under review`);
      }
      const waitlisted = transition(tx, registration, "waitlisted", actor, now, {
        seatHeld: false,
        waitlistedAt: registration.waitlistedAt ?? new Date(now),
      });
      mail(tx, waitlisted, "registration.waitlisted", { manageNonce: latestNonce(tx, waitlisted.id) }, now);
      fillSeats(tx, deps.edition, now);
      return tx.select().from(registrations).where(eq(registrations.id, id)).get()!;
    }),
  }));
}

/**
 * "Resend my link": someone typed `email`. When it has a registration (the active one, else the
 * latest), a new private link goes to that address in the attendee's language, through the outbox;
 * otherwise nothing happens. The caller answers both the same way, so that nobody learns whether an
 * address is registered.
 */
export function resendManageLink(deps: RegistrationDeps, email: string): void {
  const now = deps.now?.() ?? Date.now();
  immediate(deps.db, (tx) => {
    const registration = registrationOfEmail(tx, email);
    if (!registration) return;
    const { nonce } = issueToken(tx, deps.appKey, registration.id, now);
    // The address was typed by anyone: the message greets nobody by name.
    mail(tx, registration, "registration.manage_link", { manageNonce: nonce, name: "" }, now);
  });
}

/** A new private link for a registration (for its holder, signed in): the token, never stored. */
export function issueManageLink(deps: RegistrationDeps, id: number): string {
  const now = deps.now?.() ?? Date.now();
  return immediate(deps.db, (tx) => issueToken(tx, deps.appKey, byId(tx, id).id, now).token);
}

/** The active (or latest) registration of an address, for its signed-in holder. */
export function registrationOfEmail(db: Db | Tx, email: string): Registration | undefined {
  return (
    db
      .select()
      .from(registrations)
      .where(and(eq(registrations.email, email), activeRegistration))
      .get() ??
    db
      .select()
      .from(registrations)
      .where(eq(registrations.email, email))
      .orderBy(sql`${registrations.id} desc`)
      .limit(1)
      .get()
  );
}
