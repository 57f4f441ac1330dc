import type { AstroGlobal } from "astro";
import { actions } from "astro:actions";
import { asc } from "drizzle-orm";
import { formats, tracks } from "../../../db/schema/programme.ts";
import { asLocale, localizePath, t, type Locale } from "../../i18n/index.ts";
import {
  getSettings,
  listAssignments,
  listCriteria,
  listReviewers,
  type Criterion,
  type ReviewSettings,
} from "../../lib/review/committee.ts";
import { lookupConfirmation, type ConfirmLookup } from "../../lib/review/confirm.ts";
import {
  listProposals,
  parseProposalQuery,
  pendingCounts,
  pendingDigest,
  proposalDetail,
  type ProposalListItem,
  type ProposalQuery,
} from "../../lib/review/decisions.ts";
import type { Localized } from "../../lib/programme/texts.ts";
import { reviewerOf, reviewerView, reviewQueue, type QueueItem, type ReviewerView } from "../../lib/review/reviewing.ts";
import { submittedFields, submittedForm, type FormErrors } from "../../web/forms.ts";
import { getDb } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";
import { privatePage } from "./auth-state.ts";
import { lateGrantForm, type LateGrantForm } from "./cfp-state.ts";
import { pageUrl } from "./mailstaff-state.ts";
import { reviewErrors } from "./review-errors.ts";
import type { Loaded } from "./route.ts";

export { reviewErrors };

/** Request handling of the committee's pages: guard, Action results, redirect after success with a notice. */

const NOTICES = ["done", "applied", "released", "messages", "sent"] as const;

/** Tracks and formats, for filters and forms. */
function catalogue() {
  return {
    tracks: getDb().select().from(tracks).orderBy(asc(tracks.position), asc(tracks.id)).all(),
    formats: getDb().select().from(formats).orderBy(asc(formats.id)).all(),
  };
}

export interface CfpListProps {
  locale: Locale;
  query: ProposalQuery;
  list: ProposalListItem[];
  tracks: ReturnType<typeof catalogue>["tracks"];
  formats: ReturnType<typeof catalogue>["formats"];
  /** The pending decisions: how many of each, and the digest the release's confirmation posts (pendingDigest). */
  pending: ReturnType<typeof pendingCounts> & { digest: string };
  /** Showing the release's confirmation step. */
  confirming: boolean;
  errors: FormErrors;
  /** The codes and decision submitted, when refused. */
  values: { codes: string[]; decision: string; reason?: string };
  applied?: number;
  released?: { decisions: number; messages: number };
  /** Where the page's forms post (the query kept). */
  decideAction: string;
  releaseAction: string;
}

const positive = (value: string | null): number | undefined => {
  const n = Number(value ?? NaN);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
};

/** /admin/cfp: the proposals with scores, bulk decisions and the release. */
export async function cfpListState(Astro: AstroGlobal): Promise<Guarded<CfpListProps>> {
  const guard = guardPage(Astro, "cfp.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const decided = Astro.getActionResult(actions.proposalsDecide);
  if (decided && !decided.error) return { redirect: pageUrl(Astro.url, { applied: decided.data.count }, [...NOTICES, "release"]) };
  const released = Astro.getActionResult(actions.decisionsRelease);
  if (released && !released.error)
    return {
      redirect: pageUrl(Astro.url, { released: released.data.released, messages: released.data.messages }, [...NOTICES, "release"]),
    };
  const error = decided?.error ?? released?.error;
  const form = (error ? await submittedFields(Astro.request) : null) ?? new URLSearchParams();
  const params = Astro.url.searchParams;
  const query = { ...parseProposalQuery(params), locale };
  const releasedCount = positive(params.get("released"));
  return {
    props: {
      locale,
      query,
      list: listProposals(getDb(), query, { id: Astro.locals.principal!.user.id, email: Astro.locals.principal!.user.email }),
      ...catalogue(),
      pending: { ...pendingCounts(getDb()), digest: pendingDigest(getDb()) },
      confirming: params.get("release") === "confirm" && !released?.error,
      errors: reviewErrors(error, t(locale), ["codes", "decision", "reason", "expected"]),
      values: { codes: form.getAll("codes"), decision: form.get("decision") ?? "", reason: form.get("reason") ?? "" },
      applied: positive(params.get("applied")) || undefined,
      released: releasedCount ? { decisions: releasedCount, messages: positive(params.get("messages")) ?? 0 } : undefined,
      decideAction: pageUrl(Astro.url, { _action: "proposalsDecide" }, [...NOTICES, "release"]),
      releaseAction: pageUrl(Astro.url, { _action: "decisionsRelease" }, [...NOTICES, "release"]),
    },
  };
}

export interface CfpDetailProps {
  locale: Locale;
  detail: NonNullable<ReturnType<typeof proposalDetail>>;
  errors: FormErrors;
  values: Record<string, string>;
  notice?: "decided" | "sent";
  sent?: number;
}

/** /admin/cfp/[code]: a proposal, its speakers and reviews, the decision and messages. */
export async function cfpDetailState(Astro: AstroGlobal): Promise<Loaded<CfpDetailProps>> {
  const guard = guardPage(Astro, "cfp.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const decided = Astro.getActionResult(actions.proposalsDecide);
  if (decided && !decided.error) return { redirect: `${Astro.url.pathname}?done=decided` };
  const messaged = Astro.getActionResult(actions.proposalMessage);
  if (messaged && !messaged.error) return { redirect: `${Astro.url.pathname}?done=sent&sent=${messaged.data.recipients}` };
  const principal = Astro.locals.principal!;
  const detail = proposalDetail(getDb(), String(Astro.params.code ?? "").toUpperCase(), {
    id: principal.user.id,
    email: principal.user.email,
  });
  if (!detail) {
    Astro.response.status = 404;
    return { notFound: true };
  }
  const error = decided?.error ?? messaged?.error;
  const done = Astro.url.searchParams.get("done");
  return {
    props: {
      locale,
      detail,
      errors: reviewErrors(error, t(locale), ["decision", "reason", "body"]),
      values: error ? ((await submittedForm(Astro.request)) ?? {}) : {},
      notice: done === "decided" || done === "sent" ? done : undefined,
      sent: positive(Astro.url.searchParams.get("sent")),
    },
  };
}

export interface CfpSettingsProps {
  locale: Locale;
  criteria: Criterion[];
  settings: ReviewSettings;
  errors: FormErrors;
  /** The criterion form that failed ("new" or an id) and what it held. */
  failed?: { form: string; values: Record<string, string> };
  done?: "criterion" | "criterionDeleted" | "settings";
  /** A late-submission link was just sent, valid until then. */
  lateUntil?: Date;
  /** The late-submission link's form after a refused grant. */
  late: LateGrantForm;
}

/** /admin/cfp/settings: criteria and what reviewers see. */
export async function cfpSettingsState(Astro: AstroGlobal): Promise<Guarded<CfpSettingsProps>> {
  const guard = guardPage(Astro, "cfp.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const results = [
    Astro.getActionResult(actions.reviewCriterionSave),
    Astro.getActionResult(actions.reviewCriterionDelete),
    Astro.getActionResult(actions.reviewSettingsSave),
  ];
  const success = results.find((r) => r && !r.error);
  if (success?.data) return { redirect: `${Astro.url.pathname}?done=${success.data.done}` };
  // The late-submission link too: a reload must not send a second link.
  const late = Astro.getActionResult(actions.cfpGrantLate);
  if (late && !late.error) return { redirect: `${Astro.url.pathname}?late=${encodeURIComponent(late.data.expiresAt)}#late-link` };
  const error = results.find((r) => r?.error)?.error;
  const values = error ? ((await submittedForm(Astro.request)) ?? {}) : {};
  const done = Astro.url.searchParams.get("done");
  const lateUntil = new Date(Astro.url.searchParams.get("late") ?? "");
  return {
    props: {
      locale,
      lateUntil: Number.isNaN(lateUntil.getTime()) ? undefined : lateUntil,
      late: await lateGrantForm(Astro, t(locale)),
      criteria: listCriteria(getDb()),
      settings: getSettings(getDb()),
      errors: reviewErrors(error, t(locale), ["nameEn", "nameFr", "scaleMin", "scaleMax", "weight", "position", "id"]),
      failed: error ? { form: values.id || "new", values } : undefined,
      done: done === "criterion" || done === "criterionDeleted" || done === "settings" ? done : undefined,
    },
  };
}

export interface CfpReviewersProps {
  locale: Locale;
  reviewers: ReturnType<typeof listReviewers>;
  assignments: ReturnType<typeof listAssignments>;
  tracks: ReturnType<typeof catalogue>["tracks"];
  /** Proposals one may be assigned to (every one but drafts), by title. */
  proposals: { code: string; title: Localized }[];
  errors: FormErrors;
  values: Record<string, string>;
  done?: "assigned" | "unassigned";
}

/** /admin/cfp/reviewers: assignments. */
export async function cfpReviewersState(Astro: AstroGlobal): Promise<Guarded<CfpReviewersProps>> {
  const guard = guardPage(Astro, "cfp.manage");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const results = [Astro.getActionResult(actions.reviewerAssign), Astro.getActionResult(actions.reviewerUnassign)];
  const success = results.find((r) => r && !r.error);
  if (success?.data) return { redirect: `${Astro.url.pathname}?done=${success.data.done}` };
  const error = results.find((r) => r?.error)?.error;
  const done = Astro.url.searchParams.get("done");
  return {
    props: {
      locale,
      reviewers: listReviewers(getDb()),
      assignments: listAssignments(getDb()),
      tracks: catalogue().tracks,
      proposals: listProposals(getDb(), { ...parseProposalQuery(new URLSearchParams({ sort: "title" })), locale }).map(
        ({ code, title }) => ({
          code,
          title,
        }),
      ),
      errors: reviewErrors(error, t(locale), ["userId", "scope", "trackId", "code", "id"]),
      values: error ? ((await submittedForm(Astro.request)) ?? {}) : {},
      done: done === "assigned" || done === "unassigned" ? done : undefined,
    },
  };
}

export interface ReviewQueueProps {
  locale: Locale;
  queue: QueueItem[];
  /** An organizer of the call: the queue holds every submitted proposal (but their own). */
  everyProposal: boolean;
}

/** /admin/reviews: the reviewer's queue. */
export function reviewQueueState(Astro: AstroGlobal): Guarded<ReviewQueueProps> {
  const guard = guardPage(Astro, "proposals.review");
  if (!("ok" in guard)) return guard;
  const reviewer = reviewerOf(Astro.locals.principal!);
  return { props: { locale: guard.locale, queue: reviewQueue(getDb(), reviewer), everyProposal: !!reviewer.everyProposal } };
}

export interface ReviewFormProps {
  locale: Locale;
  view: ReviewerView;
  errors: FormErrors;
  /** What the form shows: what was typed after an error, else the saved review. */
  values: { abstain: boolean; comment: string; scores: Record<number, string> };
  saved: boolean;
  /** After a save: the next proposal of the queue still without this reviewer's review. */
  next?: { code: string; title: Localized };
}

/** /admin/reviews/[code]: the proposal as the reviewer may see it, and the review form. */
export async function reviewFormState(Astro: AstroGlobal): Promise<Loaded<ReviewFormProps>> {
  const guard = guardPage(Astro, "proposals.review");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const result = Astro.getActionResult(actions.reviewSubmit);
  if (result && !result.error) return { redirect: `${Astro.url.pathname}?saved=1` };
  const reviewer = reviewerOf(Astro.locals.principal!);
  const seen = reviewerView(getDb(), reviewer, String(Astro.params.code ?? "").toUpperCase());
  if (!seen.ok) {
    // Not assigned, or one's own: as if it did not exist (no hint of whose it is).
    Astro.response.status = 404;
    return { notFound: true };
  }
  const { view } = seen;
  const saved = Astro.url.searchParams.get("saved") === "1";
  const form = result?.error ? await submittedForm(Astro.request) : null;
  const values = form
    ? {
        abstain: form.abstain === "on",
        comment: form.comment ?? "",
        scores: Object.fromEntries(view.criteria.map((c) => [c.id, form[`score-${c.id}`] ?? ""])),
      }
    : {
        abstain: view.own?.abstain ?? false,
        comment: view.own?.comment ?? "",
        scores: Object.fromEntries(
          view.criteria.map((c) => [c.id, view.own?.scores[c.id] === undefined ? "" : String(view.own.scores[c.id])]),
        ),
      };
  return {
    props: {
      locale,
      view,
      errors: reviewErrors(result?.error, t(locale), [...view.criteria.map((c) => `score-${c.id}`), "abstain", "comment"]),
      values,
      saved,
      next: saved ? reviewQueue(getDb(), reviewer).find((item) => item.reviewed === null && item.code !== view.code) : undefined,
    },
  };
}

export interface ConfirmProps {
  locale: Locale;
  token: string;
  lookup: ConfirmLookup;
  /** What this visit just did, or that it was already done. */
  outcome?: "confirmed" | "declined" | "already";
  errors: FormErrors;
}

/** /cfp/confirm/[token]: the accepted speaker's answer (POST only; a GET only shows the question). */
export function confirmState(Astro: AstroGlobal): { redirect: string } | { props: ConfirmProps } {
  const locale = asLocale(Astro.currentLocale);
  privatePage(Astro);
  const token = String(Astro.params.token ?? "");
  const results = [Astro.getActionResult(actions.proposalConfirm), Astro.getActionResult(actions.proposalDecline)];
  const success = results.find((r) => r && !r.error);
  if (success?.data) {
    const outcome = success.data.already ? "already" : success.data.state;
    return { redirect: `${localizePath(`/cfp/confirm/${encodeURIComponent(token)}`, locale)}?done=${outcome}` };
  }
  const error = results.find((r) => r?.error)?.error;
  const lookup = lookupConfirmation(getDb(), token);
  if (!lookup.ok) Astro.response.status = lookup.reason === "unknown" ? 404 : 410;
  const done = Astro.url.searchParams.get("done");
  return {
    props: {
      locale,
      token,
      lookup,
      outcome: done === "confirmed" || done === "declined" || done === "already" ? done : undefined,
      errors: reviewErrors(error, t(locale), []),
    },
  };
}
