import { ActionError, defineAction, type ActionAPIContext } from "astro:actions";
import { z } from "zod";
import { localeOfPath } from "../i18n/index.ts";
import { recordAudit } from "../lib/audit.ts";
import { safeNext } from "../lib/auth/guard.ts";
import {
  createSession,
  invalidateSession,
  invalidateUserSessions,
  markSessionTwoFactorVerified,
  SESSION_COOKIE,
  sessionCookieOptions,
  type User,
} from "../lib/auth/sessions.ts";
import { DEFAULT_NEXT, SIGN_IN_MINUTES } from "../lib/auth/sign-in-links.ts";
import { requestSignIn, verifySignInCode, verifySignInLink } from "../lib/auth/sign-in.ts";
import { confirmTotpEnrolment, useRecoveryCode, verifyTotp } from "../lib/auth/totp.ts";
import { findUserByEmail } from "../lib/auth/users.ts";
import { nudgeWorker } from "../lib/email/outbox.ts";
import { checkbox, email, token, typedCode } from "../lib/fields.ts";
import { clientKey } from "../lib/security/rate-limit.ts";
import { clientAddressOf } from "../web/edge.ts";
import { deleteCookie, secureCookies } from "../web/principal.ts";
import { getAppKey, getDb, rateLimits } from "../web/runtime.ts";
import { limited } from "./guard.ts";

/** Signing in (link or code), the staff's second factor, signing out. */

/** Cookie holding the address a sign-in code was sent to, for the code page. */
export const SIGN_IN_EMAIL_COOKIE = "forum_signin_email";

/** Where to go once signed in: a local path, else the account page (as the sign-in pages fall back to). */
const nextPath = z.preprocess((v) => safeNext(typeof v === "string" ? v : "", DEFAULT_NEXT), z.string());

/** A new session for `user` (replacing the request's), its cookie, and where to go next. */
function startSession(context: ActionAPIContext, user: User, next: string): string {
  const current = context.locals.principal;
  if (current) invalidateSession(getDb(), current.session.id);
  const { token: sessionToken, session } = createSession(getDb(), user.id);
  context.cookies.set(SESSION_COOKIE, sessionToken, sessionCookieOptions(session.expiresAt, secureCookies(context.url)));
  if (user.roles.length > 0) return `/signin/second-factor?next=${encodeURIComponent(next)}`;
  return next;
}

export const auth = {
  requestSignIn: defineAction({
    accept: "form",
    input: z.object({ email: email(), next: nextPath }),
    handler: ({ email, next }, context) => {
      const limits = rateLimits();
      const byIp = limits.signInByIp.hit(clientKey(clientAddressOf(context)));
      if (!byIp.allowed) limited(byIp.retryAfterSeconds);
      const byEmail = limits.signInByEmail.hit(email);
      if (!byEmail.allowed) limited(byEmail.retryAfterSeconds);
      requestSignIn(getDb(), getAppKey(), email, { language: localeOfPath(context.url.pathname), next });
      nudgeWorker();
      // The code page needs the address; it stays in a short-lived cookie, never in the URL.
      context.cookies.set(SIGN_IN_EMAIL_COOKIE, email, {
        httpOnly: true,
        sameSite: "lax",
        secure: secureCookies(context.url),
        path: "/",
        maxAge: SIGN_IN_MINUTES * 60,
      });
      return { ok: true };
    },
  }),
  signInWithCode: defineAction({
    accept: "form",
    input: z.object({
      code: typedCode(20),
      next: nextPath,
    }),
    handler: ({ code, next }, context) => {
      const email = context.cookies.get(SIGN_IN_EMAIL_COOKIE)?.value;
      if (!email) throw new ActionError({ code: "BAD_REQUEST", message: "auth:noPending" });
      const result = verifySignInCode(getDb(), email, code, Date.now(), { language: localeOfPath(context.url.pathname) });
      if (!result.ok)
        throw new ActionError({ code: "BAD_REQUEST", message: `auth:${result.reason === "unknown" ? "wrongCode" : result.reason}` });
      deleteCookie(context.cookies, SIGN_IN_EMAIL_COOKIE, context.url);
      return { next: startSession(context, result.user, next) };
    },
  }),
  signInWithLink: defineAction({
    accept: "form",
    input: z.object({ token, next: nextPath }),
    handler: ({ token: linkToken, next }, context) => {
      const result = verifySignInLink(getDb(), linkToken, Date.now(), { language: localeOfPath(context.url.pathname) });
      if (!result.ok) throw new ActionError({ code: "BAD_REQUEST", message: `auth:${result.reason}` });
      return { next: startSession(context, result.user, next) };
    },
  }),
  verifySecondFactor: defineAction({
    accept: "form",
    input: z.object({
      code: typedCode(40),
      next: nextPath,
    }),
    handler: ({ code, next }, context) => {
      const principal = context.locals.principal;
      if (!principal || principal.user.roles.length === 0 || !principal.user.totpEnabledAt)
        throw new ActionError({ code: "FORBIDDEN", message: "invalidState" });
      const limits = rateLimits();
      const ip = clientKey(clientAddressOf(context));
      const account = String(principal.user.id);
      const byIp = limits.secondFactorByIp.check(ip);
      if (!byIp.allowed) limited(byIp.retryAfterSeconds);
      const user = findUserByEmail(getDb(), principal.user.email);
      const totp = /^\d{6}$/.test(code);
      const ok = !!user && (totp ? verifyTotp(getDb(), getAppKey(), user, code) : useRecoveryCode(getDb(), user.id, code));
      const actor = { id: principal.user.id, email: principal.user.email };
      if (!ok) {
        limits.secondFactorByIp.hit(ip);
        limits.secondFactorByAccount.hit(account);
        recordAudit(getDb(), { actor, action: "auth.second_factor_failed", subjectType: "user", subjectId: actor.id });
        // Too many wrong codes: every session of the account ends; the next try needs a new
        // sign-in link from the mailbox, so guessing codes is as slow as the mail is.
        if (!limits.secondFactorByAccount.check(account).allowed) {
          invalidateUserSessions(getDb(), principal.user.id);
          deleteCookie(context.cookies, SESSION_COOKIE, context.url);
          throw new ActionError({ code: "TOO_MANY_REQUESTS", message: "auth:too_many_attempts" });
        }
        throw new ActionError({ code: "BAD_REQUEST", message: "auth:wrongCode" });
      }
      markSessionTwoFactorVerified(getDb(), principal.session.id);
      recordAudit(getDb(), {
        actor,
        action: totp ? "auth.second_factor" : "auth.recovery_code_used",
        subjectType: "user",
        subjectId: actor.id,
      });
      return { next: safeNext(next, "/admin") };
    },
  }),
  enrolSecondFactor: defineAction({
    accept: "form",
    input: z.object({
      sealedKey: z.string().max(500),
      code: typedCode(10),
    }),
    handler: ({ sealedKey, code }, context) => {
      const principal = context.locals.principal;
      if (!principal || principal.user.roles.length === 0 || principal.user.totpEnabledAt)
        throw new ActionError({ code: "FORBIDDEN", message: "invalidState" });
      let result: ReturnType<typeof confirmTotpEnrolment>;
      try {
        result = confirmTotpEnrolment(getDb(), getAppKey(), principal.user.id, sealedKey, code);
      } catch {
        throw new ActionError({ code: "BAD_REQUEST", message: "auth:wrongCode" });
      }
      if (!result.ok) throw new ActionError({ code: "BAD_REQUEST", message: "auth:wrongCode" });
      markSessionTwoFactorVerified(getDb(), principal.session.id);
      recordAudit(getDb(), {
        actor: { id: principal.user.id, email: principal.user.email },
        action: "auth.second_factor_enrolled",
        subjectType: "user",
        subjectId: principal.user.id,
      });
      return { recoveryCodes: result.recoveryCodes };
    },
  }),
  signOut: defineAction({
    accept: "form",
    input: z.object({ everywhere: checkbox }),
    handler: ({ everywhere }, context) => {
      const principal = context.locals.principal;
      if (principal) {
        if (everywhere) invalidateUserSessions(getDb(), principal.user.id);
        else invalidateSession(getDb(), principal.session.id);
      }
      deleteCookie(context.cookies, SESSION_COOKIE, context.url);
      return { ok: true };
    },
  }),
};
