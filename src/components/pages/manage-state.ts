import type { AstroGlobal } from "astro";
import { actions } from "astro:actions";
import { asLocale, localizePath, t, type Locale } from "../../i18n/index.ts";
import { EDITABLE_FIELDS } from "../../lib/registration/form.ts";
import { managePath } from "../../lib/registration/links.ts";
import { findByToken, historyOf, ticketSecretOf, type Registration } from "../../lib/registration/service.ts";
import { ticketQrSvg } from "../../lib/registration/ticket.ts";
import { ticketCode } from "../../lib/registration/ticket-document.ts";
import { formErrors, submittedForm, type FormErrors } from "../../web/forms.ts";
import { attendanceDays } from "../../lib/registration/certificate.ts";
import { getAppKey, getDb, getEdition, registrationDeps } from "../../web/runtime.ts";
import { privatePage } from "./auth-state.ts";

const DONE = ["confirmed", "updated", "review", "unchanged", "cancelled"] as const;
export type Done = (typeof DONE)[number];

export interface ManageProps {
  locale: Locale;
  token: string;
  registration?: Registration;
  /** The registration expired unconfirmed (cancelled by the system). */
  expired: boolean;
  done?: Done;
  /** The cancellation's confirmation step. */
  cancelStep: boolean;
  /** The erasure's confirmation step. */
  eraseStep: boolean;
  /** Values of the edit form (what was submitted after an error, else what is stored). */
  values: Record<string, string>;
  errors: FormErrors;
  /** The form the errors belong to. */
  errorsOf?: "confirm" | "update" | "cancel";
  ticketSvg?: string;
  /** The ticket's readable code, printed under its QR code (confirmed registrations only). */
  ticketCode?: string;
  history: ReturnType<typeof historyOf>;
  /** The forum days it was checked in (YYYY-MM-DD): the certificate of attendance lists them. */
  attendance: string[];
}

/**
 * The manage page's request handling (/register/manage/<token>, also in French): actions
 * redirect to the page with `?done=...` after success; errors render with the form.
 */
export async function manageState(Astro: AstroGlobal): Promise<{ redirect: string } | { props: ManageProps }> {
  const locale = asLocale(Astro.currentLocale);
  const m = t(locale);
  const token = Astro.params.token ?? "";
  privatePage(Astro);
  const here = managePath(locale, token);
  const confirmed = Astro.getActionResult(actions.confirmRegistration);
  const updated = Astro.getActionResult(actions.updateRegistration);
  const cancelled = Astro.getActionResult(actions.cancelRegistration);
  const erased = Astro.getActionResult(actions.eraseRegistration);
  if (erased && !erased.error) return { redirect: localizePath("/register/erased", locale) };
  // A link followed after the deadline finds the registration expired: the page says so, no thanks.
  if (confirmed && !confirmed.error) return { redirect: confirmed.data.status === "cancelled" ? here : `${here}?done=confirmed` };
  if (cancelled && !cancelled.error) return { redirect: `${here}?done=cancelled` };
  if (updated && !updated.error) {
    return { redirect: `${here}?done=${updated.data.backToReview ? "review" : updated.data.changed ? "updated" : "unchanged"}` };
  }

  const registration = findByToken(registrationDeps(), token);
  const empty = {
    locale,
    token,
    expired: false,
    cancelStep: false,
    eraseStep: false,
    values: {},
    errors: formErrors(undefined, m, []),
    history: [],
    attendance: [],
  };
  if (!registration) {
    Astro.response.status = 404;
    return { props: empty };
  }
  const history = historyOf(getDb(), registration.id);
  const last = history.at(-1);
  const expired = registration.status === "cancelled" && last?.actor === "system" && last.note.startsWith("expired");

  const error = confirmed?.error ?? updated?.error ?? cancelled?.error ?? erased?.error;
  const errorsOf = confirmed?.error ? "confirm" : updated?.error ? "update" : cancelled?.error || erased?.error ? "cancel" : undefined;
  const stored = Object.fromEntries(
    EDITABLE_FIELDS.map((f) => [f, f === "listConsent" ? (registration.listConsent ? "on" : "") : String(registration[f] ?? "")]),
  );
  // After a conflict the form shows the registration as it is now, not the stale submission.
  const submitted = updated?.error && updated.error.code !== "CONFLICT" ? await submittedForm(Astro.request) : null;
  const doneParam = Astro.url.searchParams.get("done");
  const active = ["pending_email", "pending_review", "confirmed", "waitlisted"].includes(registration.status);

  return {
    props: {
      locale,
      token,
      registration,
      expired,
      done: (DONE as readonly string[]).includes(doneParam ?? "") ? (doneParam as Done) : undefined,
      cancelStep: active && Astro.url.searchParams.has("cancel"),
      eraseStep: Astro.url.searchParams.has("erase"),
      values: submitted ?? stored,
      errors: formErrors(error, m, ["category", ...EDITABLE_FIELDS]),
      errorsOf,
      ticketSvg: registration.status === "confirmed" ? await ticketQrSvg(ticketSecretOf(getAppKey(), registration)) : undefined,
      ticketCode: registration.status === "confirmed" ? ticketCode(registration.ticketHash) : undefined,
      history,
      attendance: attendanceDays(getDb(), registration.id, getEdition().timezone),
    },
  };
}
