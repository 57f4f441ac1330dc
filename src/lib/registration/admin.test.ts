import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, registrations, users } from "../../../db/schema/index.ts";
import { ok, registrationWorld } from "../../../tests/fixtures/registration.ts";
import { searchAudit } from "../audit.ts";
import {
  allRegistrations,
  decideRegistrations,
  historyNote,
  listRegistrations,
  matchingDigest,
  matchingIds,
  parseQuery,
  staffHistory,
} from "./admin.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());
const staff = { id: 7, email: "organizer@example.org" };

const statusOf = (id: number) => world.db.select().from(registrations).where(eq(registrations.id, id)).get()!.status;

describe("the organizers' list", () => {
  it("searches name, e-mail and organisation, case-insensitively, with LIKE wildcards taken literally", () => {
    world = registrationWorld();
    const a = world.register({
      name: "Élodie Martin",
      organisation: "Gendarmerie",
      category: "law-enforcement",
      email: "elodie@interieur.gouv.fr",
    });
    const b = world.register({ name: "Bob 100% Smith", organisation: "Acme_Corp" });
    world.register({ name: "Carol", organisation: "Other" });
    const ids = (q: string) => listRegistrations(world.db, { q }).rows.map((r) => r.id);
    expect(ids("gendarmerie")).toEqual([a]);
    expect(ids("ÉLODIE")).toEqual([a]);
    expect(ids("elodie martin")).toEqual([a]);
    expect(ids("interieur.gouv")).toEqual([a]);
    expect(ids("100%")).toEqual([b]);
    expect(ids("%")).toEqual([b]);
    expect(ids("acme_")).toEqual([b]);
    expect(ids("_")).toEqual([b]);
    expect(ids("zzz")).toEqual([]);
  });

  it("sorts by name as the reader's language does, across pages and in the export", () => {
    world = registrationWorld();
    const names = ["Zoë Adams", "Олег Петров", "eve Martin", "Élodie Roux", "Anna Berg", "Ärzte Ohne", "Ørsted Lind", "Edgar Poe"];
    const id = new Map(names.map((name) => [world.register({ name }), name]));
    const sorted = (locale: "en" | "fr", dir: "asc" | "desc" = "asc", page = 1) =>
      listRegistrations(world.db, { sort: "name", dir, locale, perPage: 3, page }).rows.map((r) => id.get(r.id));
    const english = ["Anna Berg", "Ärzte Ohne", "Edgar Poe", "Élodie Roux", "eve Martin", "Ørsted Lind", "Zoë Adams", "Олег Петров"];
    expect([...sorted("en", "asc", 1), ...sorted("en", "asc", 2), ...sorted("en", "asc", 3)]).toEqual(english);
    expect(sorted("fr", "asc", 1)).toEqual(english.slice(0, 3));
    expect(sorted("en", "desc", 1)).toEqual(english.toReversed().slice(0, 3));
    expect(listRegistrations(world.db, { sort: "name", locale: "en", perPage: 3 }).total).toBe(names.length);
    expect(allRegistrations(world.db, { sort: "name", dir: "asc", locale: "fr" }).map((r) => id.get(r.id))).toEqual(english);
    expect(allRegistrations(world.db, { sort: "name", dir: "asc", q: "élodie" }).map((r) => id.get(r.id))).toEqual(["Élodie Roux"]);
  });

  it("filters by category, state, country and domain verification, sorts and pages", () => {
    world = registrationWorld();
    const le = world.register({ category: "law-enforcement", email: "x@met.police.uk", country: "GB" });
    const le2 = world.register({ category: "law-enforcement", email: "y@gmail.com", country: "FR" });
    const industry = world.register({ country: "DE" });
    const pending = world.register({ category: "researcher" }, { confirm: false });
    expect(listRegistrations(world.db, { category: "law-enforcement" }).total).toBe(2);
    expect(listRegistrations(world.db, { status: "pending_email" }).rows.map((r) => r.id)).toEqual([pending]);
    expect(listRegistrations(world.db, { country: "DE" }).rows.map((r) => r.id)).toEqual([industry]);
    expect(listRegistrations(world.db, { domainVerified: true }).rows.map((r) => r.id)).toEqual([le]);
    expect(listRegistrations(world.db, { domainVerified: false }).total).toBe(3);
    expect(listRegistrations(world.db, { sort: "created", dir: "asc" }).rows.map((r) => r.id)).toEqual([le, le2, industry, pending]);
    const page = listRegistrations(world.db, { sort: "created", dir: "asc", perPage: 3, page: 2 });
    expect(page).toMatchObject({ total: 4, page: 2, pages: 2 });
    expect(page.rows.map((r) => r.id)).toEqual([pending]);
    // A page past the end shows the last one.
    expect(listRegistrations(world.db, { perPage: 3, page: 99 }).page).toBe(2);
    expect(allRegistrations(world.db, { category: "law-enforcement", sort: "created", dir: "asc" }).map((r) => r.id)).toEqual([le, le2]);
  });

  it("reads only valid parameters from the URL", () => {
    expect(parseQuery(new URLSearchParams("q=%20ada%20&status=hacked&sort=password&dir=up&page=-3&country=fr&verified=yes"))).toMatchObject(
      {
        q: "ada",
        status: "",
        sort: "created",
        dir: "desc",
        page: 1,
        country: "",
        domainVerified: true,
      },
    );
  });
});

describe("decisions", () => {
  it("applies a decision to many at once, each audited with before and after", () => {
    world = registrationWorld();
    const a = world.register({ category: "law-enforcement" });
    const b = world.register({ category: "law-enforcement" });
    const after = ok(decideRegistrations(world.deps, staff, "approve", [a, b])).registrations;
    expect(after.map((r) => r.status)).toEqual(["confirmed", "confirmed"]);
    const { rows } = searchAudit(world.db, { q: "registration.approve" });
    expect(rows.map((r) => [r.actorEmail, r.subjectId, r.before, r.after])).toEqual([
      ["organizer@example.org", String(b), { status: "pending_review", seatHeld: false }, { status: "confirmed", seatHeld: true }],
      ["organizer@example.org", String(a), { status: "pending_review", seatHeld: false }, { status: "confirmed", seatHeld: true }],
    ]);
  });

  it("finds every registration the filter matches, on all pages, with a fingerprint of that set", () => {
    world = registrationWorld();
    const le = Array.from({ length: 3 }, (_, i) => world.register({ category: "law-enforcement", email: `le${i}@example.org` }));
    world.register({ email: "other@example.org" });
    const query = parseQuery(new URLSearchParams({ category: "law-enforcement", page: "2" }));
    expect(matchingIds(world.db, query)).toEqual(le);
    expect(listRegistrations(world.db, { ...query, perPage: 2 }).rows).toHaveLength(1);
    expect(matchingDigest([...le].reverse())).toBe(matchingDigest(le));
    expect(matchingDigest(le.slice(0, 2))).not.toBe(matchingDigest(le));
  });

  it("changes nothing when one of many is refused", () => {
    world = registrationWorld();
    const a = world.register({ category: "law-enforcement" });
    const confirmed = world.register();
    const mails = world.mail().length;
    // The refusal names the registration that stopped the decision.
    expect(decideRegistrations(world.deps, staff, "approve", [a, confirmed])).toEqual({
      ok: false,
      reason: "invalid_state",
      detail: `registration ${confirmed} is confirmed, not under review`,
      registrationId: confirmed,
    });
    expect(statusOf(a)).toBe("pending_review");
    expect(world.db.select().from(auditLog).all()).toEqual([]);
    expect(world.mail().length).toBe(mails);
  });

  it("requires a reason to reject, and tells it", () => {
    world = registrationWorld();
    const a = world.register({ category: "law-enforcement" });
    expect(decideRegistrations(world.deps, staff, "reject", [a], " ")).toEqual({
      ok: false,
      reason: "invalid_state",
      detail: "a reason is required",
    });
    ok(decideRegistrations(world.deps, staff, "reject", [a], "Unverifiable agency"));
    expect(statusOf(a)).toBe("rejected");
    expect(searchAudit(world.db).rows[0].after).toEqual({ status: "rejected", seatHeld: false, reason: "Unverifiable agency" });
  });

  it("moves to the waiting list behind those already waiting when full, and cancels on someone's behalf", () => {
    world = registrationWorld({ byCategory: { "law-enforcement": 1 } });
    const a = world.register({ category: "law-enforcement" });
    const b = world.register({ category: "law-enforcement" });
    ok(decideRegistrations(world.deps, staff, "approve", [a]));
    decideRegistrations(world.deps, staff, "waitlist", [b]);
    expect(statusOf(b)).toBe("waitlisted");
    ok(decideRegistrations(world.deps, staff, "cancel", [a]));
    expect([statusOf(a), statusOf(b)]).toEqual(["cancelled", "confirmed"]);
  });

  it("keeps the audit log append-only", () => {
    world = registrationWorld();
    ok(decideRegistrations(world.deps, staff, "approve", [world.register({ category: "law-enforcement" })]));
    expect(() => world.db.delete(auditLog).run()).toThrow(/append-only/);
    expect(() => world.db.update(auditLog).set({ action: "x" }).run()).toThrow(/append-only/);
  });
});

describe("a registration's history for the organizers", () => {
  it("reads the stored notes as events, and keeps a reason in the organizers' own words", () => {
    expect(historyNote("registered")).toEqual({ kind: "registered" });
    expect(historyNote("address confirmed")).toEqual({ kind: "addressConfirmed" });
    expect(historyNote("expired: address not confirmed in time")).toEqual({ kind: "expired" });
    expect(historyNote("checked in")).toEqual({ kind: "checkedIn" });
    expect(historyNote("edited: organisation, country")).toEqual({ kind: "edited", fields: ["organisation", "country"] });
    expect(historyNote("No official address given")).toEqual({ kind: "text", text: "No official address given" });
    expect(historyNote("")).toBeNull();
  });

  it("names staff accounts by their address, the attendee and the system by what they are", () => {
    world = registrationWorld();
    const organizer = world.db.insert(users).values({ email: "vetting@example.org" }).returning({ id: users.id }).get();
    const id = world.register({ category: "law-enforcement", email: "officer@interieur.gouv.fr" });
    ok(decideRegistrations(world.deps, { id: organizer.id, email: "vetting@example.org" }, "reject", [id], "Not an official address"));
    // An account deleted since: still an entry, named as such.
    ok(decideRegistrations(world.deps, { id: 99_999, email: "gone@example.org" }, "cancel", [world.register({ email: "b@example.org" })]));
    const history = staffHistory(world.db, id);
    expect(history.map((e) => [e.fromStatus, e.toStatus, e.actor, e.note])).toEqual([
      [null, "pending_email", { kind: "attendee" }, { kind: "registered" }],
      ["pending_email", "pending_review", { kind: "attendee" }, { kind: "addressConfirmed" }],
      [
        "pending_review",
        "rejected",
        { kind: "staff", id: organizer.id, email: "vetting@example.org" },
        { kind: "text", text: "Not an official address" },
      ],
    ]);
    const other = allRegistrations(world.db, {}).find((r) => r.email === "b@example.org")!;
    expect(staffHistory(world.db, other.id).at(-1)!.actor).toEqual({ kind: "staff", id: 99_999, email: null });
  });
});
