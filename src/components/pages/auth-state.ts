import type { AstroGlobal } from "astro";
import { actions } from "astro:actions";
import { asLocale, localizePath, t, type Locale } from "../../i18n/index.ts";
import { isStaffSessionVerified, safeNext } from "../../lib/auth/guard.ts";
import { beginTotpEnrolment, resumeTotpEnrolment } from "../../lib/auth/totp.ts";
import { formErrors, retryAfterOf, submittedForm, type FormErrors } from "../../web/forms.ts";
import { PRIVATE_REFERRER_POLICY } from "../../web/http.ts";
import { managePath } from "../../lib/registration/links.ts";
import { registrationOfEmail } from "../../lib/registration/service.ts";
import { getAppKey, getDb, getEdition } from "../../web/runtime.ts";

export type AuthStep = "signin" | "code" | "link" | "second-factor";

export interface AuthProps {
  locale: Locale;
  step: AuthStep;
  next: string;
  /** After the recovery codes: where `next` leads in the page's language (the organizers' area by default). */
  continueHref: string;
  values: Record<string, string>;
  errors: FormErrors;
  token?: string;
  /** Second factor: enrolment (QR, key) or verification. */
  enrol?: { sealedKey: string; uri: string; qrSvg: string; key: string };
  recoveryCodes?: string[];
}

/** Private pages: never cached, never indexed, their path (and any token in it) never sent as a referrer. */
export function privatePage(Astro: AstroGlobal) {
  Astro.response.headers.set("Cache-Control", "no-store");
  Astro.response.headers.set("Referrer-Policy", PRIVATE_REFERRER_POLICY);
  Astro.response.headers.set("X-Robots-Tag", "noindex, nofollow");
}

/** The sign-in pages' request handling; a successful step redirects to the next one. */
export async function authState(Astro: AstroGlobal, step: AuthStep): Promise<{ redirect: string } | { props: AuthProps }> {
  const locale = asLocale(Astro.currentLocale);
  const m = t(locale);
  privatePage(Astro);
  const submitted = (await submittedForm(Astro.request)) ?? {};
  // Form posts go to "?_action=...", which drops the page's query: `next` travels in the form too.
  const next = safeNext(Astro.url.searchParams.get("next") ?? submitted.next, "/account");
  const back = `?next=${encodeURIComponent(next)}`;
  const principal = Astro.locals.principal;
  let error;
  let recoveryCodes: string[] | undefined;
  if (step === "signin") {
    const result = Astro.getActionResult(actions.requestSignIn);
    if (result && !result.error) return { redirect: `${localizePath("/signin/code", locale)}${back}` };
    error = result?.error;
  } else if (step === "code" || step === "link") {
    const result = Astro.getActionResult(step === "code" ? actions.signInWithCode : actions.signInWithLink);
    if (result && !result.error) return { redirect: localizeNext(result.data.next, locale) };
    error = result?.error;
  } else {
    if (!principal) return { redirect: `${localizePath("/signin", locale)}${back}` };
    if (principal.user.roles.length === 0 || isStaffSessionVerified(principal)) {
      const enrolled = Astro.getActionResult(actions.enrolSecondFactor);
      if (!(enrolled && !enrolled.error)) return { redirect: localizeNext(next === "/account" ? "/admin" : next, locale) };
    }
    const verified = Astro.getActionResult(actions.verifySecondFactor);
    if (verified && !verified.error) return { redirect: localizeNext(verified.data.next, locale) };
    const enrolled = Astro.getActionResult(actions.enrolSecondFactor);
    if (enrolled && !enrolled.error) recoveryCodes = enrolled.data.recoveryCodes;
    error = verified?.error ?? enrolled?.error;
  }
  const retryAfter = retryAfterOf(error);
  if (retryAfter) Astro.response.headers.set("Retry-After", String(retryAfter));
  let enrol: AuthProps["enrol"];
  if (step === "second-factor" && principal && !principal.user.totpEnabledAt && !recoveryCodes) {
    const issuer = getEdition().shortName.en;
    const begun =
      (submitted.sealedKey ? resumeTotpEnrolment(getAppKey(), principal.user, issuer, submitted.sealedKey) : null) ??
      beginTotpEnrolment(getAppKey(), principal.user, issuer);
    enrol = { sealedKey: begun.sealedKey, uri: begun.uri, qrSvg: await begun.qrSvg, key: begun.manualKey };
  }
  return {
    props: {
      locale,
      step,
      next,
      continueHref: localizeNext(next === "/account" ? "/admin" : next, locale),
      values: { email: submitted.email ?? "" },
      errors: formErrors(error, m, ["email", "code"]),
      token: Astro.params.token,
      enrol,
      recoveryCodes,
    },
  };
}

/** A local path in the page's language (paths from `next` are English). */
function localizeNext(path: string, locale: Locale): string {
  return locale === "fr" && !path.startsWith("/fr/") && path !== "/fr" ? localizePath(path, "fr") : path;
}

/**
 * The account page's request handling (/account, /fr/account): after signing out, home; after
 * "open my registration", its private page; without a session, sign in first.
 */
export function accountState(
  Astro: AstroGlobal,
): { redirect: string } | { props: { locale: Locale; email: string; registration: ReturnType<typeof registrationOfEmail> } } {
  const locale = asLocale(Astro.currentLocale);
  privatePage(Astro);
  const signedOut = Astro.getActionResult(actions.signOut);
  if (signedOut && !signedOut.error) {
    // Whatever this browser kept for the signed-out account goes too: the check-in desk's roster
    // and queue (IndexedDB), its service worker and kept page (decision 31).
    Astro.response.headers.set("Clear-Site-Data", '"cache", "storage"');
    return { redirect: localizePath("/", locale) };
  }
  const opened = Astro.getActionResult(actions.openMyRegistration);
  if (opened && !opened.error) return { redirect: managePath(locale, opened.data.token) };
  const principal = Astro.locals.principal;
  if (!principal) return { redirect: `${localizePath("/signin", locale)}?next=${encodeURIComponent("/account")}` };
  return { props: { locale, email: principal.user.email, registration: registrationOfEmail(getDb(), principal.user.email) } };
}
