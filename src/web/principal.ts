import type { AstroCookies } from "astro";
import type { Principal } from "../lib/auth/guard.ts";
import { SESSION_COOKIE, sessionCookieOptions, validateSessionToken } from "../lib/auth/sessions.ts";
import { ANONYMOUS, type Viewer } from "../lib/programme/audience.ts";
import { accountViewer } from "../lib/programme/viewer.ts";
import { getDb, getSiteUrl } from "./runtime.ts";

/**
 * Session cookies are Secure whenever the site is served over HTTPS: its public address (SITE_URL)
 * is https, or this request came over https (directly, or through a proxy TRUST_PROXY believes).
 */
export function secureCookies(url: URL): boolean {
  return url.protocol === "https:" || new URL(getSiteUrl()).protocol === "https:";
}

/**
 * Removes one of the site's cookies with the attributes it was set with (HttpOnly, SameSite=Lax,
 * and Secure under https), so that no browser keeps the old one for lack of a match.
 */
export function deleteCookie(cookies: AstroCookies, name: string, url: URL): void {
  cookies.delete(name, { path: "/", httpOnly: true, sameSite: "lax", secure: secureCookies(url) });
}

/** The principal of a request from its session cookie (renewing the cookie when the session slid). */
export function principalOf(cookies: AstroCookies, url: URL): Principal | null {
  const token = cookies.get(SESSION_COOKIE)?.value;
  if (!token) return null;
  let result: ReturnType<typeof validateSessionToken>;
  try {
    result = validateSessionToken(getDb(), token);
  } catch {
    return null;
  }
  if (!result) {
    deleteCookie(cookies, SESSION_COOKIE, url);
    return null;
  }
  if (result.renewed) cookies.set(SESSION_COOKIE, token, sessionCookieOptions(result.session.expiresAt, secureCookies(url)));
  return { user: result.user, session: result.session };
}

/**
 * What the programme shows a principal: an organizer (after the second factor) everything; anyone
 * else signed in, reviewers and check-in staff included, what their own confirmed registration's
 * category may see; anyone else the public view.
 */
export function viewerOf(principal: Principal | null): Viewer {
  if (!principal) return ANONYMOUS;
  return accountViewer(getDb(), principal);
}
