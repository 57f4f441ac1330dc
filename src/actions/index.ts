import { ActionError, defineAction, type ActionAPIContext } from "astro:actions";
import { agenda } from "./agenda.ts";
import { actorOf, requirePermission } from "./guard.ts";
import { catalogue } from "./catalogue.ts";
import { checkin } from "./checkin.ts";
import { cfp } from "./cfp.ts";
import { localeOfPath } from "../i18n/index.ts";
import { mailstaff } from "./mailstaff.ts";
import { programme } from "./programme.ts";
import { review } from "./review.ts";
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
import { requestSignIn, verifySignInCode, verifySignInLink } from "../lib/auth/sign-in.ts";
import { DEFAULT_NEXT, SIGN_IN_MINUTES } from "../lib/auth/sign-in-links.ts";
import { confirmTotpEnrolment, useRecoveryCode, verifyTotp } from "../lib/auth/totp.ts";
import { findUserByEmail } from "../lib/auth/users.ts";
import { editionConflictOptions } from "../lib/programme/conflicts.ts";
import { publishCheckedRelease } from "../lib/programme/releases.ts";
import { DECISIONS, decideRegistrations, matchingDigest, matchingIds, MAX_BULK, parseQuery } from "../lib/registration/admin.ts";
import { deleteCookie, secureCookies } from "../web/principal.ts";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { checkbox, email, token, trimmed, typedCode } from "../lib/fields.ts";
import { nudgeWorker } from "../lib/email/outbox.ts";
import { editSchema, EDITABLE_FIELDS, registrationSchema, type EditableField } from "../lib/registration/form.ts";
import {
  cancel,
  confirmEmail,
  type DetailsInput,
  erase,
  findByToken,
  issueManageLink,
  type Refused,
  registrationOfEmail,
  resendManageLink,
  submit,
  updateDetails,
} from "../lib/registration/service.ts";
import { clientKey } from "../lib/security/rate-limit.ts";
import { clientAddressOf } from "../web/edge.ts";
import { getAppKey, getDb, getEdition, rateLimits, registrationDeps } from "../web/runtime.ts";

/** Cookie holding the address a sign-in code was sent to, for the code page. */
export const SIGN_IN_EMAIL_COOKIE = "forum_signin_email";

/**
 * The site's forms. Each works without JavaScript: the page posts to itself, renders errors next
 * to the fields (status 400, 409, 413 or 429), and redirects after success. Error messages are
 * keys the page translates.
 */

const signInEmail = email();
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

function limited(retryAfterSeconds: number): never {
  throw new ActionError({ code: "TOO_MANY_REQUESTS", message: `retryAfter:${retryAfterSeconds}` });
}

/** Runs `work` in one IMMEDIATE transaction of `db` (the transactions inside it become savepoints). */
function registerInOneTransaction<T>(db: Db, work: () => T): T {
  return db.$client.transaction(work).immediate();
}

/** The registration behind a private link, or a 404 the page explains. */
function registrationOf(linkToken: string) {
  const registration = findByToken(registrationDeps(), linkToken);
  if (!registration) throw new ActionError({ code: "NOT_FOUND", message: "unknownLink" });
  return registration;
}

/** Turns a refused domain change into the matching HTTP error. */
function refused({ reason }: Refused): never {
  throw new ActionError({
    code: reason === "not_found" ? "NOT_FOUND" : reason === "conflict" ? "CONFLICT" : "BAD_REQUEST",
    message: reason === "conflict" ? "conflict" : reason === "not_found" ? "unknownLink" : "invalidState",
  });
}

export const server = {
  ...mailstaff,
  ...agenda,
  ...catalogue,
  ...cfp,
  ...programme,
  ...review,
  ...checkin,
  register: defineAction({
    accept: "form",
    input: registrationSchema(getEdition()),
    handler: (input, context) => {
      if (input.website !== "") throw new ActionError({ code: "BAD_REQUEST", message: "honeypot" });
      const limits = rateLimits();
      const deps = registrationDeps();
      const client = clientKey(clientAddressOf(context));
      // Both limits and the registration in one transaction (one commit per form in a burst); an
      // allowed attempt counts even when the other limit refuses it, as before.
      const refusal = registerInOneTransaction(deps.db, () => {
        const byIp = limits.registerByIp.hit(client);
        if (!byIp.allowed) return byIp;
        const byEmail = limits.registerByEmail.hit(input.email);
        if (!byEmail.allowed) return byEmail;
        // Whether the address was new or already registered, the answer is the same.
        submit(deps, input);
        return null;
      });
      if (refusal) limited(refusal.retryAfterSeconds);
      nudgeWorker();
      return { ok: true };
    },
  }),

  /** "Resend my link": the same answer whether the address is registered or not (limits included). */
  resendManageLink: defineAction({
    accept: "form",
    input: z.object({ email: signInEmail }),
    handler: ({ email }, context) => {
      const limits = rateLimits();
      const byIp = limits.manageLinkByIp.hit(clientKey(clientAddressOf(context)));
      if (!byIp.allowed) limited(byIp.retryAfterSeconds);
      const byEmail = limits.manageLinkByEmail.hit(email);
      if (!byEmail.allowed) limited(byEmail.retryAfterSeconds);
      resendManageLink(registrationDeps(), email);
      nudgeWorker();
      return { ok: true };
    },
  }),

  confirmRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      registrationOf(linkToken);
      const result = confirmEmail(registrationDeps(), linkToken);
      if (!result.ok) refused(result);
      nudgeWorker();
      return { status: result.registration.status };
    },
  }),

  updateRegistration: defineAction({
    accept: "form",
    input: editSchema(getEdition()),
    handler: (input) => {
      const registration = registrationOf(input.token);
      if (input.category !== registration.category) throw new ActionError({ code: "BAD_REQUEST", message: "invalidState" });
      const details = Object.fromEntries(EDITABLE_FIELDS.map((field: EditableField) => [field, input[field]])) as DetailsInput;
      const result = updateDetails(registrationDeps(), registration.id, input.version, details, "attendee");
      if (!result.ok) refused(result);
      nudgeWorker();
      return { changed: result.changed.length, backToReview: result.backToReview };
    },
  }),

  cancelRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      const registration = registrationOf(linkToken);
      const result = cancel(registrationDeps(), registration.id, "attendee");
      if (!result.ok) refused(result);
      nudgeWorker();
      return { status: result.registration.status };
    },
  }),

  eraseRegistration: defineAction({
    accept: "form",
    input: z.object({ token }),
    handler: ({ token: linkToken }) => {
      const registration = registrationOf(linkToken);
      erase(registrationDeps(), registration.id);
      nudgeWorker();
      return { erased: true };
    },
  }),

  requestSignIn: defineAction({
    accept: "form",
    input: z.object({ email: signInEmail, next: nextPath }),
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

  decideRegistrations: defineAction({
    accept: "form",
    input: z.object({
      ids: z.array(z.number().int().positive()).max(500),
      /** Every registration the list's filter matches (all pages), instead of the ticked ones. */
      allMatching: checkbox,
      /** matchingDigest of what the page showed as matching: "all" means those, not what matches now. */
      matching: z.preprocess((v) => (typeof v === "string" ? v : ""), z.string().max(64)),
      decision: z.enum(DECISIONS, "invalid"),
      reason: trimmed(1000, { tooLong: "tooLong:1000" }),
    }),
    handler: ({ ids: ticked, allMatching, matching, decision, reason }, context) => {
      const principal = requirePermission(context, "registrations.decide");
      let ids = ticked;
      if (allMatching) {
        // The form posts to the list's own address: its query is the filter the organizer saw.
        ids = matchingIds(getDb(), parseQuery(context.url.searchParams));
        if (ids.length > MAX_BULK) throw new ActionError({ code: "BAD_REQUEST", message: `admin:tooMany:${MAX_BULK}` });
        if (matchingDigest(ids) !== matching) throw new ActionError({ code: "CONFLICT", message: "admin:matchingChanged" });
      }
      if (ids.length === 0) throw new ActionError({ code: "BAD_REQUEST", message: "admin:noneSelected" });
      if (decision === "reject" && !reason) throw new ActionError({ code: "BAD_REQUEST", message: "admin:reasonRequired" });
      const result = decideRegistrations(registrationDeps(), principal.user, decision, ids, reason);
      if (!result.ok) {
        // Which registration stopped the decision, for the page to name it (its id, never its data, in the message).
        const which = result.registrationId !== undefined && ids.length > 1 ? `:${result.registrationId}` : "";
        throw new ActionError({ code: result.reason === "not_found" ? "NOT_FOUND" : "CONFLICT", message: `admin:refused${which}` });
      }
      nudgeWorker();
      return { count: result.registrations.length };
    },
  }),

  openMyRegistration: defineAction({
    accept: "form",
    input: z.object({}),
    handler: (_input, context) => {
      const principal = context.locals.principal;
      if (!principal) throw new ActionError({ code: "UNAUTHORIZED", message: "forbidden" });
      const registration = registrationOfEmail(getDb(), principal.user.email);
      if (!registration) throw new ActionError({ code: "NOT_FOUND", message: "unknownLink" });
      return { token: issueManageLink(registrationDeps(), registration.id) };
    },
  }),

  publishRelease: defineAction({
    accept: "form",
    input: z.object({
      // The changelog shows each reader their language, or else the other one.
      commentEn: trimmed(500, { tooLong: "tooLong:500" }),
      commentFr: trimmed(500, { tooLong: "tooLong:500" }),
      /** The fingerprint of the warnings the organizer saw and confirmed (warningsFingerprint); none at first. */
      acknowledged: trimmed(64),
    }),
    handler: ({ commentEn, commentFr, acknowledged }, context) => {
      const principal = requirePermission(context, "programme.edit");
      const options = editionConflictOptions(getEdition());
      const comment = { en: commentEn, fr: commentFr };
      const published = publishCheckedRelease(getDb(), actorOf(principal), { comment, acknowledged, options });
      // With warnings, the page asks first (their list, "publish anyway"); a confirmation of other warnings asks again.
      if (!published.ok)
        throw new ActionError({ code: "CONFLICT", message: acknowledged ? "editor:warningsChanged" : "editor:warningsToConfirm" });
      return { number: published.number };
    },
  }),
};
