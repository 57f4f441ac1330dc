import { allowed, type Permission, type Principal } from "../../lib/auth/guard.ts";

/** The areas of the organizers' pages, each with the permission its page asks (the guard decides; this only hides). */
export const ADMIN_AREAS = [
  { key: "registrations", href: "/admin/registrations", permission: "registrations.view" },
  { key: "checkin", href: "/admin/checkin", permission: "checkin.scan" },
  { key: "statistics", href: "/admin/statistics", permission: "registrations.view" },
  { key: "programme", href: "/admin/programme", permission: "programme.edit" },
  { key: "cfp", href: "/admin/cfp", permission: "cfp.manage" },
  { key: "reviews", href: "/admin/reviews", permission: "proposals.review" },
  { key: "mail", href: "/admin/mail", permission: "mail.view" },
  { key: "audit", href: "/admin/audit", permission: "audit.view" },
  { key: "staff", href: "/admin/staff", permission: "staff.manage" },
  { key: "webhooks", href: "/admin/webhooks", permission: "webhooks.manage" },
] as const satisfies readonly { key: string; href: string; permission: Permission }[];

export type AdminArea = (typeof ADMIN_AREAS)[number];
export type AdminAreaKey = AdminArea["key"] | "overview";

/** The areas `principal` may open, in menu order. */
export function adminAreasOf(principal: Principal | null): AdminArea[] {
  return ADMIN_AREAS.filter((area) => allowed(principal, area.permission));
}

/**
 * Where an (English) path lies among the areas: "overview" for /admin itself, the area whose page
 * is the path or one of its sub-pages (a registration, the programme's rooms, the mail composer),
 * or undefined outside the organizers' pages.
 */
export function areaOf(path: string): { key: AdminAreaKey; exact: boolean } | undefined {
  const clean = path.replace(/(.)\/+$/, "$1");
  if (clean === "/admin") return { key: "overview", exact: true };
  for (const area of ADMIN_AREAS) {
    if (clean === area.href) return { key: area.key, exact: true };
    if (clean.startsWith(`${area.href}/`) || clean.startsWith(`${area.href}.`)) return { key: area.key, exact: false };
  }
  return undefined;
}
