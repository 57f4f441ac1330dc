import type { AstroGlobal } from "astro";
import { actions, type ActionError } from "astro:actions";
import { localizePath, t, type Locale, type Messages } from "../../i18n/index.ts";
import { allowed } from "../../lib/auth/guard.ts";
import { listStaff, type StaffAccount } from "../../lib/auth/staff.ts";
import {
  heldDigest,
  heldMessageIds,
  listOutbox,
  nextHeldMessage,
  outboxMessage,
  outboxPayloads,
  parseOutboxQuery,
  type OutboxItem,
  type OutboxQuery,
} from "../../lib/email/admin.ts";
import { renderEmail } from "../../lib/email/templates.ts";
import { ANNOUNCEMENT_STATES, DEFAULT_FILTERS, newAnnouncementKey } from "../../lib/email/announcement.ts";
import { certificateRecipients, certificateSends } from "../../lib/email/certificates.ts";
import { activeGroups, getGroup, listGroups, type GroupItem } from "../../lib/email/groups.ts";
import { formErrors, submittedFields, submittedForm, type FormErrors } from "../../web/forms.ts";
import { getAppKey, getDb, getEdition, getSiteUrl } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";
import { reviewErrors } from "./review-errors.ts";
import type { Loaded } from "./route.ts";

/** Request handling of the organizers' e-mail and staff pages: guard, Action results, redirect after success. */

/** An Action's error as messages by field (input errors) or for the whole form. */
export function mailstaffErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  return formErrors(error, m, fieldOrder);
}

/** The current URL without `_action` and the given notices, with `changes` applied. */
export function pageUrl(url: URL, changes: Record<string, string | number | undefined> = {}, drop: readonly string[] = []): string {
  const next = new URL(url);
  next.searchParams.delete("_action");
  for (const key of drop) next.searchParams.delete(key);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") next.searchParams.delete(key);
    else next.searchParams.set(key, String(value));
  }
  return next.pathname + next.search;
}

const MAIL_NOTICES = ["retried", "queued", "released", "cancelled", "paused", "resumed"] as const;

/** What a page with group messages needs to pause and resume them: where the buttons post, and the notice after. */
export interface GroupControls {
  /** Whether the viewer may pause and resume (`mail.send`). */
  maySend: boolean;
  pauseAction: string;
  resumeAction: string;
  /** The notice after a pause or a resume. */
  done?: "paused" | "resumed";
}

/**
 * The pause and resume Actions of a page: a success redirects back to the same page with its
 * notice; otherwise the controls and the refusal's errors.
 */
function groupControls(Astro: AstroGlobal): { redirect: string } | { controls: GroupControls; error: ActionError | undefined } {
  const paused = Astro.getActionResult(actions.mailGroupPause);
  if (paused && !paused.error) return { redirect: pageUrl(Astro.url, { paused: 1 }, MAIL_NOTICES) };
  const resumed = Astro.getActionResult(actions.mailGroupResume);
  if (resumed && !resumed.error) return { redirect: pageUrl(Astro.url, { resumed: 1 }, MAIL_NOTICES) };
  const params = Astro.url.searchParams;
  return {
    controls: {
      maySend: allowed(Astro.locals.principal, "mail.send"),
      pauseAction: pageUrl(Astro.url, { _action: "mailGroupPause" }, MAIL_NOTICES),
      resumeAction: pageUrl(Astro.url, { _action: "mailGroupResume" }, MAIL_NOTICES),
      done: params.get("paused") === "1" ? "paused" : params.get("resumed") === "1" ? "resumed" : undefined,
    },
    error: paused?.error ?? resumed?.error,
  };
}

export interface MailProps {
  locale: Locale;
  query: OutboxQuery;
  list: ReturnType<typeof listOutbox>;
  /** Whether the viewer may retry messages and write to a group (`mail.send`). */
  maySend: boolean;
  errors: FormErrors;
  retried: boolean;
  queued?: number;
  /** Held messages just sent to the queue, or one just cancelled (review.ts Actions). */
  released?: number;
  cancelled: boolean;
  /** Every held message (whatever the search): how many, and the digest "send all" posts to confirm them. */
  held: { count: number; digest: string };
  /** Where the held messages' Send and Cancel buttons post. */
  heldSendAction: string;
  heldCancelAction: string;
  /** Where the page's forms post (its query kept) and its links go. */
  retryAction: string;
  /** Each listed message's subject as it goes out (by id), when it can be rendered. */
  subjects: Record<string, string>;
  /** The group messages being sent (or paused), with their progress. */
  groups: GroupItem[];
  groupControls: GroupControls;
  /** The group message the list is narrowed to (`?group=`), if any. */
  group?: GroupItem;
}

/** The outbox page (`mail.view`); a successful retry comes back to the same list. */
export async function mailState(Astro: AstroGlobal): Promise<Guarded<MailProps>> {
  const guard = guardPage(Astro, "mail.view");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const result = Astro.getActionResult(actions.mailRetry);
  if (result && !result.error) return { redirect: pageUrl(Astro.url, { retried: 1 }, MAIL_NOTICES) };
  const heldSent = Astro.getActionResult(actions.heldMailSend);
  if (heldSent && !heldSent.error) return { redirect: pageUrl(Astro.url, { released: heldSent.data.sent }, MAIL_NOTICES) };
  const heldCancelled = Astro.getActionResult(actions.heldMailCancel);
  if (heldCancelled && !heldCancelled.error) return { redirect: pageUrl(Astro.url, { cancelled: 1 }, MAIL_NOTICES) };
  const controls = groupControls(Astro);
  if ("redirect" in controls) return controls;
  const released = Number(Astro.url.searchParams.get("released") ?? NaN);
  const query = parseOutboxQuery(Astro.url.searchParams);
  const queued = Number(Astro.url.searchParams.get("queued") ?? NaN);
  const heldIds = heldMessageIds(getDb());
  const list = listOutbox(getDb(), query);
  const subjects: Record<string, string> = {};
  const payloads = outboxPayloads(
    getDb(),
    list.rows.map((row) => row.id),
  );
  for (const row of list.rows) {
    const rendered = await renderOutboxMessage({ ...row, payload: payloads.get(row.id) });
    if (rendered) subjects[row.id] = rendered.subject;
  }
  return {
    props: {
      locale,
      query,
      list,
      subjects,
      maySend: allowed(Astro.locals.principal, "mail.send"),
      errors:
        result?.error || controls.error
          ? mailstaffErrors(result?.error ?? controls.error, t(locale), ["id"])
          : reviewErrors(heldSent?.error ?? heldCancelled?.error, t(locale), ["id"]),
      retried: Astro.url.searchParams.get("retried") === "1",
      queued: Number.isInteger(queued) && queued > 0 ? queued : undefined,
      retryAction: pageUrl(Astro.url, { _action: "mailRetry" }, MAIL_NOTICES),
      released: Number.isInteger(released) && released > 0 ? released : undefined,
      cancelled: Astro.url.searchParams.get("cancelled") === "1",
      held: { count: heldIds.length, digest: heldDigest(heldIds) },
      heldSendAction: pageUrl(Astro.url, { _action: "heldMailSend" }, MAIL_NOTICES),
      heldCancelAction: pageUrl(Astro.url, { _action: "heldMailCancel" }, MAIL_NOTICES),
      groups: activeGroups(getDb()),
      groupControls: controls.controls,
      group: query.group ? getGroup(getDb(), query.group) : undefined,
    },
  };
}

/**
 * An outbox message rendered as it goes out, in the recipient's language, with its private links
 * and codes redacted (organizers read the message, not the recipient's keys); undefined when it
 * cannot be rendered (a payload the templates no longer accept: the worker would fail it too).
 */
export async function renderOutboxMessage(message: Pick<OutboxItem, "template" | "language"> & { payload: unknown }) {
  try {
    return await renderEmail(message, { edition: getEdition(), siteUrl: getSiteUrl(), appKey: getAppKey(), redact: true });
  } catch {
    return undefined;
  }
}

export interface MailMessageProps {
  locale: Locale;
  message: NonNullable<ReturnType<typeof outboxMessage>>;
  rendered?: { subject: string; text: string; attachments: string[] };
  maySend: boolean;
  /** The next held message to read, if any (after sending or cancelling this one, the page goes there). */
  nextHeld?: string;
  errors: FormErrors;
  /** What was just done to the message read before this one. */
  notice?: { sent: number } | { cancelled: true };
  /** Where this page's Send and Cancel buttons post. */
  sendAction: string;
  cancelAction: string;
}

/**
 * One outbox message (`mail.view`) as its recipient will read it: subject, both versions, attachments.
 * A held one can be sent or cancelled from here; then the next held one is shown (or the list).
 */
export async function mailMessageState(Astro: AstroGlobal): Promise<Loaded<MailMessageProps>> {
  const guard = guardPage(Astro, "mail.view");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const id = String(Astro.params.id ?? "");
  const db = getDb();
  const sent = Astro.getActionResult(actions.heldMailSend);
  const cancelled = Astro.getActionResult(actions.heldMailCancel);
  if ((sent && !sent.error) || (cancelled && !cancelled.error)) {
    const notice = sent && !sent.error ? `released=${sent.data.sent}` : "cancelled=1";
    const next = nextHeldMessage(db, id);
    return {
      redirect: next
        ? `${localizePath(`/admin/mail/${encodeURIComponent(next)}`, locale)}?${notice}`
        : `${localizePath("/admin/mail", locale)}?state=held&${notice}`,
    };
  }
  const message = outboxMessage(db, id);
  if (!message) {
    Astro.response.status = 404;
    return { notFound: true };
  }
  const rendered = await renderOutboxMessage(message);
  const here = localizePath(`/admin/mail/${encodeURIComponent(id)}`, locale);
  return {
    props: {
      locale,
      message,
      rendered: rendered && { subject: rendered.subject, text: rendered.text, attachments: rendered.attachments.map((a) => a.filename) },
      maySend: allowed(Astro.locals.principal, "mail.send"),
      nextHeld: nextHeldMessage(db, id),
      errors: reviewErrors(sent?.error ?? cancelled?.error, t(locale), ["id"]),
      notice: noticeOf(Astro.url.searchParams),
      sendAction: `${here}?_action=heldMailSend`,
      cancelAction: `${here}?_action=heldMailCancel`,
    },
  };
}

function noticeOf(params: URLSearchParams): MailMessageProps["notice"] {
  const released = Number(params.get("released") ?? NaN);
  if (Number.isInteger(released) && released > 0) return { sent: released };
  return params.get("cancelled") === "1" ? { cancelled: true } : undefined;
}

export interface MailGroupsProps {
  locale: Locale;
  list: ReturnType<typeof listGroups>;
  errors: FormErrors;
  groupControls: GroupControls;
}

/** The history of group messages (`mail.view`), a page at a time. */
export function mailGroupsState(Astro: AstroGlobal): Guarded<MailGroupsProps> {
  const guard = guardPage(Astro, "mail.view");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const controls = groupControls(Astro);
  if ("redirect" in controls) return controls;
  const page = Number(Astro.url.searchParams.get("page") ?? 1);
  return {
    props: {
      locale,
      list: listGroups(getDb(), { page: Number.isInteger(page) && page > 0 ? Math.min(page, 1_000_000) : 1 }),
      errors: mailstaffErrors(controls.error, t(locale), ["id"]),
      groupControls: controls.controls,
    },
  };
}

export interface MailGroupProps {
  locale: Locale;
  group: GroupItem;
  errors: FormErrors;
  groupControls: GroupControls;
}

/** One group message with its text (`mail.view`); 404 for an unknown id. */
export function mailGroupState(Astro: AstroGlobal, id: string | undefined): Loaded<MailGroupProps> {
  const guard = guardPage(Astro, "mail.view");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const controls = groupControls(Astro);
  if ("redirect" in controls) return controls;
  const group = id && id.length <= 100 ? getGroup(getDb(), id) : undefined;
  if (!group) {
    Astro.response.status = 404;
    return { notFound: true };
  }
  return { props: { locale, group, errors: mailstaffErrors(controls.error, t(locale), ["id"]), groupControls: controls.controls } };
}

/** The compose form's fields, in page order. */
export const COMPOSE_FIELDS = ["category", "status", "country", "verified", "subjectEn", "bodyEn", "subjectFr", "bodyFr"] as const;

export interface ComposePreview {
  key: string;
  proof: string;
  frame: string;
  recipients: { total: number; en: number; fr: number };
  en: { subject: string; text: string };
  fr: { subject: string; text: string };
}

export interface ComposeProps {
  locale: Locale;
  /** What the form shows (what was typed, or the defaults). */
  values: Record<(typeof COMPOSE_FIELDS)[number], string>;
  errors: FormErrors;
  preview?: ComposePreview;
}

/** The compose page (`mail.send`): preview shows on the same page; a send redirects to the outbox. */
export async function composeState(Astro: AstroGlobal): Promise<Guarded<ComposeProps>> {
  const guard = guardPage(Astro, "mail.send");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const sent = Astro.getActionResult(actions.mailSend);
  if (sent && !sent.error) return { redirect: `${localizePath("/admin/mail", locale)}?queued=${sent.data.recipients}` };
  const previewed = Astro.getActionResult(actions.mailPreview);
  const submitted = await submittedForm(Astro.request);
  const params = Astro.url.searchParams;
  const status = submitted?.status ?? params.get("status") ?? DEFAULT_FILTERS.status;
  const values = {
    category: submitted?.category ?? params.get("category") ?? "",
    status: (["", ...ANNOUNCEMENT_STATES] as string[]).includes(status) ? status : DEFAULT_FILTERS.status,
    country: submitted?.country ?? params.get("country") ?? "",
    verified: submitted?.verified ?? params.get("verified") ?? "",
    subjectEn: submitted?.subjectEn ?? "",
    bodyEn: submitted?.bodyEn ?? "",
    subjectFr: submitted?.subjectFr ?? "",
    bodyFr: submitted?.bodyFr ?? "",
  };
  return {
    props: {
      locale,
      values,
      errors: mailstaffErrors(sent?.error ?? previewed?.error, t(locale), COMPOSE_FIELDS),
      preview: previewed && !previewed.error ? previewed.data : undefined,
    },
  };
}

const STAFF_DONE = ["invited", "roles", "revoked", "restored", "reset"] as const;
export type StaffDone = (typeof STAFF_DONE)[number];

export interface StaffProps {
  locale: Locale;
  accounts: StaffAccount[];
  /** The organizer looking at the page. */
  selfId: number;
  /** The invitation form as typed (after an error). */
  invite: { email: string; roles: string[]; language: string };
  errors: FormErrors;
  /** The account a refused change was about, to show the error on its line too. */
  errorFor?: number;
  done?: StaffDone;
}

/** The staff page (`staff.manage`): every change redirects back with a notice. */
export async function staffState(Astro: AstroGlobal): Promise<Guarded<StaffProps>> {
  const guard = guardPage(Astro, "staff.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const results = [
    Astro.getActionResult(actions.staffInvite),
    Astro.getActionResult(actions.staffRoles),
    Astro.getActionResult(actions.staffRevoke),
    Astro.getActionResult(actions.staffRestore),
    Astro.getActionResult(actions.staffResetSecondFactor),
  ];
  const success = results.find((r) => r && !r.error);
  if (success?.data) return { redirect: `${localizePath("/admin/staff", locale)}?done=${success.data.done}` };
  const error = results.find((r) => r?.error)?.error;
  // Every value of a field (the roles are several checkboxes of one name).
  const form = (error ? await submittedFields(Astro.request) : null) ?? new URLSearchParams();
  const done = Astro.url.searchParams.get("done") ?? "";
  const errorFor = Number(form.get("userId"));
  return {
    props: {
      locale,
      accounts: listStaff(getDb()),
      selfId: Astro.locals.principal!.user.id,
      invite: form.has("email")
        ? { email: form.get("email") ?? "", roles: form.getAll("roles"), language: form.get("language") ?? locale }
        : { email: "", roles: [], language: locale },
      errors: mailstaffErrors(error, t(locale), ["email", "roles", "language", "userId"]),
      errorFor: Number.isInteger(errorFor) && errorFor > 0 ? errorFor : undefined,
      done: (STAFF_DONE as readonly string[]).includes(done) ? (done as StaffDone) : undefined,
    },
  };
}

export interface CertificatesProps {
  locale: Locale;
  recipients: { total: number; en: number; fr: number };
  /** The message as each language reads it (links redacted). */
  preview: Record<"en" | "fr", { subject: string; text: string }>;
  /** The one-time key of this form (a second send of the same form queues nothing). */
  key: string;
  earlier: ReturnType<typeof certificateSends>;
  errors: FormErrors;
}

/** The post-event message (`mail.send`): who gets it, its text, earlier sends; after sending, to the outbox with `?queued=`. */
export async function certificatesState(Astro: AstroGlobal): Promise<Guarded<CertificatesProps>> {
  const guard = guardPage(Astro, "mail.send");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const sent = Astro.getActionResult(actions.mailCertificates);
  if (sent && !sent.error) return { redirect: `${localizePath("/admin/mail", locale)}?queued=${sent.data.recipients}` };
  const recipients = certificateRecipients(getDb());
  const ctx = { edition: getEdition(), siteUrl: getSiteUrl(), appKey: getAppKey(), redact: true };
  const render = async (language: "en" | "fr") => {
    const rendered = await renderEmail(
      {
        template: "attendance.certificate",
        language,
        payload: { name: t(language).mailstaff.compose.previewName, manageNonce: "preview" },
      },
      ctx,
    );
    return { subject: rendered.subject, text: rendered.text };
  };
  const [en, fr] = await Promise.all([render("en"), render("fr")]);
  return {
    props: {
      locale,
      recipients: {
        total: recipients.length,
        en: recipients.filter((r) => r.language === "en").length,
        fr: recipients.filter((r) => r.language === "fr").length,
      },
      preview: { en, fr },
      key: newAnnouncementKey(),
      earlier: certificateSends(getDb()),
      errors: mailstaffErrors(sent?.error, t(locale), ["key"]),
    },
  };
}
