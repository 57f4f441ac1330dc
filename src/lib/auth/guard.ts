import type { Role } from "../../../db/schema/auth.ts";

/**
 * The one place that decides who may do what. Every admin page, Action and export asks `decide`
 * (or `allowed`) on the server; the navigation only hides what the guard would refuse anyway.
 */

/** What a request is allowed to know about who is asking. */
export interface Principal {
  user: { id: number; email: string; roles: readonly Role[]; totpEnabledAt: Date | null };
  session: { id: string; twoFactorVerified: boolean };
}

export const PERMISSIONS = [
  /** The organizers' area: registrations list, detail, statistics. */
  "registrations.view",
  /** Approve, reject, waitlist, cancel on someone's behalf. */
  "registrations.decide",
  /** CSV of personal data (logged). */
  "registrations.export",
  "mail.view",
  "mail.send",
  "audit.view",
  "staff.manage",
  /** Edit the programme and publish releases. */
  "programme.edit",
  /**
   * Read every listed session in full, whatever its audience. Organizers only: other staff see the
   * programme as their own registration entitles them (docs/decisions/0018).
   */
  "programme.viewAll",
  /** Scan tickets at the venue. */
  "checkin.scan",
  /** Choose how the desks work: whether they count entry and exit (decision 38). */
  "checkin.manage",
  /** Review proposals of the call for papers. */
  "proposals.review",
  /** Run the call for papers: criteria, reviewer assignments, decisions and their release, late-submission links. */
  "cfp.manage",
  /** Register, change and delete the outgoing webhooks, see their deliveries, send one again (organizers only, decision 40). */
  "webhooks.manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  organizer: PERMISSIONS,
  reviewer: ["proposals.review"],
  checkin: ["checkin.scan"],
};

/** The permissions a principal holds now: staff roles count only once the second factor was given. */
export function permissionsOf(principal: Principal | null): ReadonlySet<Permission> {
  if (!principal || !isStaffSessionVerified(principal)) return new Set();
  return new Set(principal.user.roles.flatMap((role) => GRANTS[role] ?? []));
}

/** A staff account whose session has passed the second factor. */
export function isStaffSessionVerified(principal: Principal | null): boolean {
  return !!principal && principal.user.roles.length > 0 && principal.user.totpEnabledAt !== null && principal.session.twoFactorVerified;
}

/** A staff account still owing its second factor in this session (or its enrolment). */
export function needsSecondFactor(principal: Principal | null): boolean {
  return !!principal && principal.user.roles.length > 0 && !isStaffSessionVerified(principal);
}

export function allowed(principal: Principal | null, permission: Permission): boolean {
  return permissionsOf(principal).has(permission);
}

/** Whether the principal may enter the organizers' area at all (any staff permission). */
export function mayEnterAdmin(principal: Principal | null): boolean {
  return permissionsOf(principal).size > 0;
}

export type Decision =
  | { ok: true }
  /** Not signed in (or the second factor is owed): to that page, then back. */
  | { ok: false; status: 303; location: string }
  /** Signed in without the right: 403. */
  | { ok: false; status: 403 };

/**
 * The answer to a request that needs `permission`: go on, sign in (or give the second factor)
 * first, or 403. `path` is where to come back after signing in.
 */
export function decide(principal: Principal | null, permission: Permission, path: string): Decision {
  if (allowed(principal, permission)) return { ok: true };
  const next = `?next=${encodeURIComponent(path)}`;
  if (!principal) return { ok: false, status: 303, location: `/signin${next}` };
  if (needsSecondFactor(principal)) return { ok: false, status: 303, location: `/signin/second-factor${next}` };
  return { ok: false, status: 403 };
}

/** A safe local path to return to after signing in (never another site). */
export function safeNext(next: string | null | undefined, fallback = "/"): string {
  // Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"): no control character at all.
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\") || /[\u0000-\u001f\u007f]/.test(next))
    return fallback;
  const base = "http://local.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  const path = url.pathname + url.search + url.hash;
  // Dot segments are resolved by the parse: "/.//evil" and "/a/..//evil" come out as "//evil", which
  // a browser reads as another site. Only a path that stays one path after normalizing is kept.
  if (path.startsWith("//") || path.startsWith("/\\")) return fallback;
  return path;
}
