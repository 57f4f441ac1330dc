import type { AstroGlobal } from "astro";
import { actions, type ActionError } from "astro:actions";
import { eq } from "drizzle-orm";
import { registrations } from "../../../db/schema/index.ts";
import { asLocale, localizePath, t, type Locale, type Messages } from "../../i18n/index.ts";
import { decide, type Permission } from "../../lib/auth/guard.ts";
import {
  listRegistrations,
  matchingDigest,
  matchingIds,
  parseQuery,
  staffHistory,
  type StaffHistoryEntry,
} from "../../lib/registration/admin.ts";
import type { Registration } from "../../lib/registration/service.ts";
import { formErrors, submittedFields, submittedForm, type FormErrors } from "../../web/forms.ts";
import { getDb } from "../../web/runtime.ts";
import { privatePage } from "./auth-state.ts";
import type { Loaded } from "./route.ts";

/** What a guarded loader gives before it looks anything up: a page of a known thing cannot be missing. */
export type Guarded<T> = Exclude<Loaded<T>, { notFound: true }>;

/** Asks the guard for `permission` on this request: go on, sign in first, or 403. */
export function guardPage(
  Astro: AstroGlobal,
  permission: Permission,
): { redirect: string } | { forbidden: true; locale: Locale } | { ok: true; locale: Locale } {
  const locale = asLocale(Astro.currentLocale);
  privatePage(Astro);
  const decision = decide(Astro.locals.principal, permission, Astro.url.pathname + Astro.url.search);
  if (decision.ok) return { ok: true, locale };
  if (decision.status === 303)
    return { redirect: localizePath(decision.location.split("?")[0], locale) + "?" + decision.location.split("?")[1] };
  Astro.response.status = 403;
  return { forbidden: true, locale };
}

export interface RegistrationsProps {
  locale: Locale;
  query: ReturnType<typeof parseQuery>;
  list: ReturnType<typeof listRegistrations>;
  /** Every registration the filter matches (all pages): how many, and their matchingDigest. */
  matching: { count: number; digest: string };
  errors: FormErrors;
  applied?: number;
  /** The decision and reason submitted, when refused. */
  decisionValues?: Record<string, string>;
  /** The rows ticked when the decision was refused, ticked again; and whether "all matching" was. */
  selected: ReadonlySet<number>;
  allMatching: boolean;
}

export async function registrationsState(Astro: AstroGlobal): Promise<Guarded<RegistrationsProps>> {
  const guard = guardPage(Astro, "registrations.view");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const result = Astro.getActionResult(actions.decideRegistrations);
  if (result && !result.error) {
    const url = new URL(Astro.url);
    url.searchParams.delete("_action");
    url.searchParams.set("applied", String(result.data.count));
    return { redirect: url.pathname + url.search };
  }
  const query = { ...parseQuery(Astro.url.searchParams), locale };
  const applied = Number(Astro.url.searchParams.get("applied") ?? NaN);
  const m = t(locale);
  // A refused decision keeps what was ticked, so that nothing has to be ticked again.
  const submitted = result?.error ? await submittedFields(Astro.request) : null;
  const matched = matchingIds(getDb(), query);
  return {
    props: {
      locale,
      query,
      list: listRegistrations(getDb(), query),
      matching: { count: matched.length, digest: matchingDigest(matched) },
      errors: refusedFor(result?.error, m) ?? formErrors(result?.error, m, DECISION_FIELDS, DECISION_WORDING),
      applied: Number.isInteger(applied) && applied > 0 ? applied : undefined,
      decisionValues: submitted ? Object.fromEntries(submitted) : undefined,
      selected: new Set((submitted?.getAll("ids") ?? []).map(Number).filter(Number.isInteger)),
      allMatching: submitted?.get("allMatching") === "on",
    },
  };
}

/** A bulk decision stopped by one registration: named, with its state, so the organizer can untick it. */
function refusedFor(error: ActionError | undefined, m: Messages): FormErrors | undefined {
  const id = /^admin:refused:(\d+)$/.exec(error?.message ?? "")?.[1];
  if (!id) return undefined;
  const row = getDb()
    .select({ name: registrations.name, status: registrations.status })
    .from(registrations)
    .where(eq(registrations.id, Number(id)))
    .get();
  if (!row) return undefined;
  return { byField: {}, summary: [{ field: "", message: m.admin.refusedFor(row.name, m.insights.states[row.status]) }] };
}

/** The decision form's fields, and the refusals that belong to one of them. */
const DECISION_FIELDS = ["ids", "decision", "reason"] as const;
const DECISION_WORDING = {
  fieldOf: (key: string) => ({ "admin:noneSelected": "ids", "admin:reasonRequired": "reason" })[key],
};

export interface RegistrationProps {
  locale: Locale;
  registration: Registration;
  history: StaffHistoryEntry[];
  errors: FormErrors;
  applied: boolean;
  decisionValues?: Record<string, string>;
}

export async function registrationState(Astro: AstroGlobal): Promise<Loaded<RegistrationProps>> {
  const guard = guardPage(Astro, "registrations.view");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const result = Astro.getActionResult(actions.decideRegistrations);
  if (result && !result.error) return { redirect: `${Astro.url.pathname}?applied=1` };
  const id = Number(Astro.params.id);
  const registration =
    Number.isInteger(id) && id > 0 ? getDb().select().from(registrations).where(eq(registrations.id, id)).get() : undefined;
  if (!registration) return { notFound: true };
  return {
    props: {
      locale,
      registration,
      history: staffHistory(getDb(), registration.id),
      errors: formErrors(result?.error, t(locale), DECISION_FIELDS, DECISION_WORDING),
      applied: Astro.url.searchParams.get("applied") === "1",
      decisionValues: result?.error ? ((await submittedForm(Astro.request)) ?? undefined) : undefined,
    },
  };
}

export interface ProgrammeAdminProps {
  locale: Locale;
  errors: FormErrors;
  published?: number;
  /**
   * Publishing was asked while the programme has warnings: the confirmation step, with the comment
   * given; `changed` when a confirmation was refused because the warnings changed since.
   */
  confirming?: { comment: { en: string; fr: string }; changed: boolean };
}

/** The programme and releases page: publish (after a confirmation step when there are warnings), then back with `?published=<number>`. */
export async function programmeAdminState(Astro: AstroGlobal): Promise<Guarded<ProgrammeAdminProps>> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const result = Astro.getActionResult(actions.publishRelease);
  if (result && !result.error) return { redirect: `${Astro.url.pathname}?published=${result.data.number}` };
  const published = Number(Astro.url.searchParams.get("published") ?? NaN);
  const step = result?.error?.message;
  const form = step === "editor:warningsToConfirm" || step === "editor:warningsChanged" ? await submittedForm(Astro.request) : undefined;
  const given = (name: string) => form?.[name]?.trim().slice(0, 500) ?? "";
  const confirming =
    form !== undefined
      ? { comment: { en: given("commentEn"), fr: given("commentFr") }, changed: step === "editor:warningsChanged" }
      : undefined;
  // The confirmation step is a step, not an error: the page shows it in place of the summary.
  if (confirming) Astro.response.status = 200;
  return {
    props: {
      locale: guard.locale,
      errors: confirming
        ? formErrors(undefined, t(guard.locale), [])
        : formErrors(result?.error, t(guard.locale), ["commentEn", "commentFr"]),
      published: Number.isInteger(published) && published > 0 ? published : undefined,
      confirming,
    },
  };
}
