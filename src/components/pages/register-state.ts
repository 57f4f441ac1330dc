import type { AstroGlobal } from "astro";
import { actions } from "astro:actions";
import { summaryLine } from "../../i18n/errors.ts";
import { asLocale, localizePath, t, type Locale, type Messages } from "../../i18n/index.ts";
import { ALL_CATEGORY_FIELDS, fieldsOfCategory } from "../../lib/registration/form.ts";
import { availability } from "../../lib/registration/service.ts";
import { formErrors, retryAfterOf, submittedForm, type FormErrors } from "../../web/forms.ts";
import { getDb, getEdition } from "../../web/runtime.ts";

/** How the error summary names each field of a registration: its label, or a short name for a sentence. */
export function registrationLabels(m: Messages): Record<string, string> {
  return { ...m.register.fields, ...m.register.shortNames };
}

/** Order of the registration form's fields, for the error summary. */
export const REGISTER_FIELDS = [
  "category",
  "name",
  "email",
  "organisation",
  "country",
  "language",
  ...ALL_CATEGORY_FIELDS,
  "dietary",
  "accessibility",
  "privacyConsent",
  "listConsent",
  "website",
] as const;

export interface RegisterProps {
  locale: Locale;
  /** The chosen category, when valid; else the category step is shown. */
  category?: string;
  values: Record<string, string>;
  errors: FormErrors;
  availability: ReturnType<typeof availability>;
}

/**
 * The registration page's request handling, shared by /register and /fr/register: after a
 * successful submission, where to redirect (POST-redirect-GET); otherwise what to render.
 */
export async function registerState(Astro: AstroGlobal): Promise<{ redirect: string } | { props: RegisterProps }> {
  const locale = asLocale(Astro.currentLocale);
  const m = t(locale);
  const result = Astro.getActionResult(actions.register);
  if (result && !result.error) return { redirect: localizePath("/register/sent", locale) };
  const edition = getEdition();
  const values = (await submittedForm(Astro.request)) ?? {};
  const wanted = values.category ?? Astro.url.searchParams.get("category") ?? "";
  const category = edition.registration.categories.some((c) => c.id === wanted) ? wanted : undefined;
  const retryAfter = retryAfterOf(result?.error);
  if (retryAfter) Astro.response.headers.set("Retry-After", String(retryAfter));
  Astro.response.headers.set("Cache-Control", "no-store");
  let seats: RegisterProps["availability"] = [];
  try {
    seats = availability(getDb(), edition);
  } catch {
    // Without the database the form still renders; submitting will say what went wrong.
  }
  const errors = formErrors(result?.error, m, REGISTER_FIELDS);
  // An error on a field the form does not show (another category's, the category itself when
  // tampered with) is listed without a link, with the field's name.
  const shown = new Set<string>(
    category
      ? [
          "name",
          "email",
          "organisation",
          "country",
          "language",
          "dietary",
          "accessibility",
          "privacyConsent",
          "listConsent",
          ...fieldsOfCategory(category),
        ]
      : [],
  );
  const labels = registrationLabels(m);
  errors.summary = errors.summary.map((e) =>
    e.field === "" || shown.has(e.field) ? e : { field: "", message: summaryLine(m, labels[e.field] ?? e.field, e.message) },
  );
  return {
    props: {
      locale,
      category,
      values: { language: locale, ...values },
      errors,
      availability: seats,
    },
  };
}

export interface ResendLinkProps {
  locale: Locale;
  /** True after a request: the same answer whether the address is registered or not. */
  sent: boolean;
  values: Record<string, string>;
  errors: FormErrors;
}

/** "Resend my link" (/register/link and /fr/register/link): after a request, back to the page with `?sent=1`. */
export async function resendLinkState(Astro: AstroGlobal): Promise<{ redirect: string } | { props: ResendLinkProps }> {
  const locale = asLocale(Astro.currentLocale);
  const result = Astro.getActionResult(actions.resendManageLink);
  if (result && !result.error) return { redirect: `${localizePath("/register/link", locale)}?sent=1` };
  const retryAfter = retryAfterOf(result?.error);
  if (retryAfter) Astro.response.headers.set("Retry-After", String(retryAfter));
  Astro.response.headers.set("Cache-Control", "no-store");
  return {
    props: {
      locale,
      sent: !result && Astro.url.searchParams.get("sent") === "1",
      values: (await submittedForm(Astro.request)) ?? {},
      errors: formErrors(result?.error, t(locale), ["email"]),
    },
  };
}
