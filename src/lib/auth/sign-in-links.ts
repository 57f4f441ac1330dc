import { localizePath, type Locale } from "../locale.ts";
import { deriveSecret } from "../security/secrets.ts";
import { safeNext } from "./guard.ts";
import { seal, unseal } from "./sealed.ts";

/**
 * What a sign-in message carries, derived from its challenge's nonce and the application key: the
 * one-time link and the code (sign-in.ts stores their hashes when it makes the challenge; the
 * renderer derives them again when it writes the message, since the outbox keeps only the nonce),
 * and the sealed place the link leads to. Imports no database and no queue, so the renderer and the
 * challenge both depend on it and on nothing of each other.
 */

type Language = Locale;

/** Minutes a link and its code stay valid. */
export const SIGN_IN_MINUTES = 15;
/** Digits of the code. */
export const CODE_DIGITS = 6;

/** The one-time link token of a challenge nonce (43 URL-safe characters). */
export function signInLinkToken(appKey: Buffer, nonce: string): string {
  return deriveSecret(appKey, "signin", nonce);
}

/** The short code of a challenge nonce: 6 uniform decimal digits from HMAC(appKey, "signin-code:" + nonce). */
export function signInCode(appKey: Buffer, nonce: string): string {
  const digest = Buffer.from(deriveSecret(appKey, "signin-code", nonce), "base64url");
  // A 256-bit integer modulo 10^6: the bias is below 2^-236.
  return (BigInt(`0x${digest.toString("hex")}`) % 10n ** BigInt(CODE_DIGITS)).toString().padStart(CODE_DIGITS, "0");
}

/** The link token and the code of a challenge nonce: what the challenge stores hashed, and what its message carries. */
export function signInSecrets(appKey: Buffer, nonce: string): { linkToken: string; code: string } {
  return { linkToken: signInLinkToken(appKey, nonce), code: signInCode(appKey, nonce) };
}

/** Where a sign-in goes when nothing else was asked for. */
export const DEFAULT_NEXT = "/account";

/**
 * Path of the one-time sign-in link in `language`; `next` (a local path, checked again here) is
 * where the person goes once signed in, when it is not the account page.
 */
export function signInPath(language: Language, token: string, next?: string): string {
  const back = next ? safeNext(next, DEFAULT_NEXT) : DEFAULT_NEXT;
  const query = back === DEFAULT_NEXT || back === "/" ? "" : `?next=${encodeURIComponent(back)}`;
  return localizePath(`/signin/link/${encodeURIComponent(token)}`, language) + query;
}

/** Absolute URL of the one-time sign-in link (see signInPath). */
export function signInUrl(siteUrl: string, language: Language, token: string, next?: string): string {
  return new URL(signInPath(language, token, next), siteUrl).href;
}

/**
 * `next` as the outbox keeps it: sealed under the application key, bound to the challenge's nonce.
 * The path may hold a private link (a co-speaker's invitation), and payloads hold no secret.
 */
export function sealSignInNext(appKey: Buffer, nonce: string, next: string): string {
  return seal(appKey, next, `signin-next:${nonce}`);
}

/** The local path sealed by sealSignInNext, or undefined when it does not unseal (another key, another challenge). */
export function signInNextOf(appKey: Buffer, nonce: string, sealed: string | undefined): string | undefined {
  if (!sealed) return undefined;
  try {
    const next = unseal(appKey, sealed, `signin-next:${nonce}`);
    return safeNext(next, "") || undefined;
  } catch {
    return undefined;
  }
}
