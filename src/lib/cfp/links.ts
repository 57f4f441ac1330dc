import { localizePath, type Locale } from "../locale.ts";
import { deriveSecret, hashSecret } from "../security/secrets.ts";

/**
 * The addresses of the call for papers and the secrets of its one-time links. As everywhere else,
 * a link's token is derived from the application key and a random nonce kept in the e-mail's
 * payload, and only the token's SHA-256 is stored: the database alone opens no link.
 */

/** A proposal's page for its speakers. */
export function proposalPath(language: Locale, code: string): string {
  return localizePath(`/cfp/proposals/${encodeURIComponent(code)}`, language);
}

/** The page where an invited co-speaker accepts or declines. */
export function invitationPath(language: Locale, token: string): string {
  return localizePath(`/cfp/invitation/${encodeURIComponent(token)}`, language);
}

/** The page of a late-submission link. */
export function latePath(language: Locale, token: string): string {
  return localizePath(`/cfp/late/${encodeURIComponent(token)}`, language);
}

/** The page where an accepted speaker confirms or declines (built by the review side). */
export function confirmPath(language: Locale, token: string): string {
  return localizePath(`/cfp/confirm/${encodeURIComponent(token)}`, language);
}

/** Absolute form of a path. */
export function absolute(siteUrl: string, path: string): string {
  return new URL(path, siteUrl).href;
}

/** The token of a co-speaker invitation's link. */
/** Days an invitation's link stays valid after it was (last) sent; a resend starts again. */
export const INVITATION_DAYS = 30;

export const invitationToken = (appKey: Buffer, nonce: string) => deriveSecret(appKey, "cfp-invitation", nonce);
/** The token of a late-submission link. */
export const lateToken = (appKey: Buffer, nonce: string) => deriveSecret(appKey, "cfp-late", nonce);
/** The token of an accepted speaker's confirmation link (`cfp_tokens`, purpose `confirm`). */
export const confirmToken = (appKey: Buffer, nonce: string) => deriveSecret(appKey, "cfp-confirm", nonce);

/** What is stored of any of these tokens. */
export const tokenHash = (token: string) => hashSecret(token);

/** Tokens are 43 URL-safe characters; anything else is not looked up. */
export function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
