import type { AstroGlobal } from "astro";
import { actions, type ActionError } from "astro:actions";
import { asc, eq } from "drizzle-orm";
import { formats, tracks } from "../../../db/schema/programme.ts";
import { describeTimes, formatDay, formatTime, localDay } from "../../i18n/format.ts";
import { asLocale, localizePath, t, type Locale, type Messages } from "../../i18n/index.ts";
import { PROPOSAL_FIELDS } from "../../lib/cfp/form.ts";
import { callFormats, callStatus, overallStatus, type CallState } from "../../lib/cfp/call.ts";
import { invitationByToken } from "../../lib/cfp/invitations.ts";
import { lateGrantByToken } from "../../lib/cfp/late.ts";
import { proposalPath } from "../../lib/cfp/links.ts";
import { availableDays, findProfile, type Speaker } from "../../lib/cfp/profile.ts";
import { myProposals, proposalForSpeaker, sessionSlot, type SpeakerProposalSummary, type SpeakerProposalView } from "../../lib/cfp/view.ts";
import { editionDays } from "../../lib/config/edition.ts";
import { formErrors, retryAfterOf, submittedForm, type FormErrors } from "../../web/forms.ts";
import { currentProgramme, getDb, getEdition } from "../../web/runtime.ts";
import { signInPath } from "./agenda-state.ts";
import { privatePage } from "./auth-state.ts";

/**
 * Request handling of the speakers' pages of the call for papers: sign-in required (except the
 * public call page and the invitation page), the Action results of each form (redirect after
 * success, errors by the field with the typed values otherwise), and a 404 for a proposal that is
 * not the visitor's, exactly as for one that does not exist.
 */

/** Refusals that belong to a field of the form. */
const FIELD_OF: Record<string, string> = {
  "cfp:abstractRequired": "abstractEn",
  "cfp:unknownTrack": "track",
  "cfp:unknownFormat": "format",
  "cfp:invalidDays": "days",
  "cfp:photo_required": "photo",
  "cfp:photo_too_large": "photo",
  "cfp:photo_type": "photo",
  "cfp:photo_unreadable": "photo",
  "cfp:photo_dimensions": "photo",
  "cfp:photo_too_small": "photo",
};

/** An Action's error as messages by field (input errors and field-bound refusals) or for the whole form. */
export function cfpErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  return formErrors(error, m, fieldOrder, { fieldOf: (key) => FIELD_OF[key] });
}

const noErrors = (): FormErrors => ({ byField: {}, summary: [] });

/** The late-submission link's form after a refused grant: its errors by field and what was typed. */
export interface LateGrantForm {
  errors: FormErrors;
  values: Record<string, string>;
}

/** The fields of the late-submission link's form, in order. */
export const LATE_GRANT_FIELDS = ["email", "days", "format", "language"] as const;

/** What the late-submission link's form shows after a refused grant (nothing otherwise). */
export async function lateGrantForm(Astro: AstroGlobal, m: Messages): Promise<LateGrantForm> {
  const result = Astro.getActionResult(actions.cfpGrantLate);
  return {
    errors: cfpErrors(result?.error, m, LATE_GRANT_FIELDS),
    values: result?.error ? ((await submittedForm(Astro.request)) ?? {}) : {},
  };
}

/** A deadline or opening as the pages say it: "Sunday 31 March 2013, 23:59" in the edition's zone. */
export function formatWhen(at: Date, locale: Locale): string {
  const zone = getEdition().timezone;
  return `${formatDay(localDay(at, zone), locale)}, ${formatTime(at, locale, zone)}`;
}

/** One format of the call, as the pages list it. */
export interface CallFormat {
  slug: string;
  name: string;
  minutes: number;
  state: CallState;
  opens: string;
  deadline: string;
}

/** The call's formats with their names, durations, states and dates, in the configured order. */
export function callFormatRows(locale: Locale, now: number = Date.now()): CallFormat[] {
  const edition = getEdition();
  const rows = getDb().select().from(formats).all();
  return callFormats(edition).flatMap((slug) => {
    const row = rows.find((f) => f.slug === slug);
    const status = callStatus(edition, slug, now);
    if (!row || !status) return [];
    return [
      {
        slug,
        name: locale === "fr" ? row.nameFr : row.nameEn,
        minutes: row.defaultDuration,
        state: status.state,
        opens: formatWhen(status.opensAt, locale),
        deadline: formatWhen(status.deadline, locale),
      },
    ];
  });
}

/** The tracks, in order, as options. */
export function trackOptions(locale: Locale): { value: string; label: string }[] {
  return getDb()
    .select()
    .from(tracks)
    .orderBy(asc(tracks.position), asc(tracks.id))
    .all()
    .map((track) => ({ value: track.slug, label: locale === "fr" ? track.nameFr : track.nameEn }));
}

export interface CallProps {
  locale: Locale;
  state: CallState | null;
  formats: CallFormat[];
  tracks: { value: string; label: string }[];
  intro: string;
  signedIn: boolean;
  /** The earliest opening and latest deadline of the call, formatted. */
  opens: string;
  deadline: string;
}

/** The public call page. */
export function callState(Astro: AstroGlobal): CallProps {
  const locale = asLocale(Astro.currentLocale);
  const edition = getEdition();
  const now = Date.now();
  const rows = callFormatRows(locale, now);
  const statuses = callFormats(edition).map((f) => callStatus(edition, f, now)!);
  const first = statuses.map((s) => s.opensAt).sort((a, b) => a.getTime() - b.getTime())[0];
  const last = statuses.map((s) => s.deadline).sort((a, b) => b.getTime() - a.getTime())[0];
  return {
    locale,
    state: overallStatus(edition, now),
    formats: rows,
    tracks: trackOptions(locale),
    intro: edition.cfp?.intro?.[locale] ?? "",
    signedIn: !!Astro.locals.principal,
    opens: first ? formatWhen(first, locale) : "",
    deadline: last ? formatWhen(last, locale) : "",
  };
}

type Page<T> = { redirect: string } | { notFound: true } | { props: T };

/** The signed-in account, or the sign-in page coming back to `path` (English). */
function signedIn(Astro: AstroGlobal, path: string): { redirect: string } | { account: { id: number; email: string } } {
  privatePage(Astro);
  const principal = Astro.locals.principal;
  if (!principal) return { redirect: signInPath(asLocale(Astro.currentLocale), path) };
  return { account: { id: principal.user.id, email: principal.user.email } };
}

/** A refused Action asking to sign in first. */
const needsSignIn = (error: ActionError | undefined) => error?.code === "UNAUTHORIZED";

export interface ProfileProps {
  locale: Locale;
  values: Record<string, string | string[]>;
  errors: FormErrors;
  saved: boolean;
  photoSaved: boolean;
  photoErrors: FormErrors;
  days: { value: string; label: string }[];
  photo: string | null;
}

const profileValues = (profile: Speaker | undefined, locale: Locale): Record<string, string | string[]> => ({
  name: profile?.name ?? "",
  affiliation: profile?.affiliation ?? "",
  country: profile?.country ?? "",
  bioEn: profile?.bioEn ?? "",
  bioFr: profile?.bioFr ?? "",
  links: (profile?.links ?? []).map((l) => l.url).join("\n"),
  language: profile?.language ?? locale,
  days: profile ? availableDays(getEdition(), profile.availability) : [],
});

/** The values a refused form sent, to put back (arrays for the repeated fields). */
async function sentValues(Astro: AstroGlobal, repeated: readonly string[] = []): Promise<Record<string, string | string[]> | null> {
  const form = await submittedForm(Astro.request);
  if (!form) return null;
  const values: Record<string, string | string[]> = { ...form };
  if (repeated.length) {
    const data = await Astro.request
      .clone()
      .formData()
      .catch(() => null);
    for (const name of repeated) values[name] = data ? data.getAll(name).filter((v): v is string => typeof v === "string") : [];
  }
  return values;
}

/** /cfp/profile. */
export async function profileState(Astro: AstroGlobal): Promise<Page<ProfileProps>> {
  const locale = asLocale(Astro.currentLocale);
  const result = Astro.getActionResult(actions.cfpSaveProfile);
  const photo = Astro.getActionResult(actions.cfpProfilePhoto) ?? Astro.getActionResult(actions.cfpProfilePhotoRemove);
  const who = signedIn(Astro, "/cfp/profile");
  if ("redirect" in who) return who;
  if (needsSignIn(result?.error ?? photo?.error)) return { redirect: signInPath(locale, "/cfp/profile") };
  if (result && !result.error) return { redirect: `${localizePath("/cfp/profile", locale)}?saved=1` };
  if (photo && !photo.error) return { redirect: `${localizePath("/cfp/profile", locale)}?saved=photo#photo` };
  const profile = findProfile(getDb(), who.account.id);
  const edition = getEdition();
  return {
    props: {
      locale,
      values: (result?.error ? await sentValues(Astro, ["days"]) : null) ?? profileValues(profile, locale),
      errors: cfpErrors(result?.error, t(locale), ["name", "affiliation", "country", "bioEn", "bioFr", "links", "language", "days"]),
      saved: !result && !photo && Astro.url.searchParams.get("saved") === "1",
      photoSaved: !result && !photo && Astro.url.searchParams.get("saved") === "photo",
      photoErrors: cfpErrors(photo?.error, t(locale), ["photo"]),
      days: editionDays(edition).map((day) => ({ value: day, label: formatDay(day, locale) })),
      photo: profile?.photo ?? null,
    },
  };
}

export interface ProposalsProps {
  locale: Locale;
  proposals: (SpeakerProposalSummary & { formatName: string; href: string; updated: string })[];
  callOpen: boolean;
}

/** /cfp/proposals. */
export function proposalsState(Astro: AstroGlobal): Page<ProposalsProps> {
  const locale = asLocale(Astro.currentLocale);
  const who = signedIn(Astro, "/cfp/proposals");
  if ("redirect" in who) return who;
  const names = new Map(callFormatRows(locale).map((f) => [f.slug, f.name]));
  const all = getDb().select().from(formats).all();
  const nameOf = (slug: string) => names.get(slug) ?? all.find((f) => f.slug === slug)?.[locale === "fr" ? "nameFr" : "nameEn"] ?? slug;
  return {
    props: {
      locale,
      callOpen: overallStatus(getEdition()) === "open",
      proposals: myProposals(getDb(), who.account.id).map((p) => ({
        ...p,
        formatName: nameOf(p.format),
        href: proposalPath(locale, p.code),
        updated: formatWhen(p.updatedAt, locale),
      })),
    },
  };
}

export interface NewProposalProps {
  locale: Locale;
  values: Record<string, string>;
  errors: FormErrors;
  formats: CallFormat[];
  tracks: { value: string; label: string }[];
}

/** /cfp/proposals/new: the formats offered are those open now (or granted by a late link; the Action decides). */
export async function newProposalState(Astro: AstroGlobal): Promise<Page<NewProposalProps>> {
  const locale = asLocale(Astro.currentLocale);
  const result = Astro.getActionResult(actions.cfpCreateProposal);
  const who = signedIn(Astro, "/cfp/proposals/new");
  if ("redirect" in who) return who;
  if (needsSignIn(result?.error)) return { redirect: signInPath(locale, "/cfp/proposals/new") };
  if (result && !result.error) return { redirect: `${proposalPath(locale, result.data.code)}?notice=created` };
  setRetryAfter(Astro, result?.error);
  const sent = result?.error ? ((await submittedForm(Astro.request)) ?? {}) : {};
  return {
    props: {
      locale,
      values: { language: locale, audience: "public", tlp: "CLEAR", ...sent },
      errors: cfpErrors(result?.error, t(locale), PROPOSAL_FIELDS),
      formats: callFormatRows(locale),
      tracks: trackOptions(locale),
    },
  };
}

function setRetryAfter(Astro: AstroGlobal, error: ActionError | undefined) {
  const retryAfter = retryAfterOf(error);
  if (retryAfter) Astro.response.headers.set("Retry-After", String(retryAfter));
}

const PROPOSAL_NOTICES = [
  "created",
  "saved",
  "submitted",
  "withdrawn",
  "invited",
  "resent",
  "invitationWithdrawn",
  "joined",
  "confirmed",
  "declined",
  "alreadyAnswered",
] as const;
export type ProposalNotice = (typeof PROPOSAL_NOTICES)[number];
/** Which form of the proposal page an error belongs to. */
export type ProposalForm = "edit" | "submit" | "withdraw" | "invite" | "invitation" | "answer";

export interface ProposalProps {
  locale: Locale;
  proposal: SpeakerProposalView;
  formatName: string;
  trackName: string;
  formats: CallFormat[];
  tracks: { value: string; label: string }[];
  values: Record<string, string>;
  errors: FormErrors;
  errorsOf?: ProposalForm;
  notice?: ProposalNotice;
  /** The deadline that applies (or the late link's end), formatted. */
  until: string;
  /** A confirmed proposal's session once the latest release places it; null before. */
  placement: ProposalSlot | null;
}

/** When and where a confirmed proposal's session takes place, in the page's language. */
export interface ProposalSlot {
  day: string;
  startsAt: Date;
  endsAt: Date;
  zone: string;
  times: string;
  /** Null: the session spans every room. */
  room: string | null;
  href: string;
}

/** The slot of the proposal's session as the public sees it (the latest release, never the editor's tables). */
function publishedSlot(sessionId: number | null, locale: Locale): ProposalSlot | null {
  const slot = sessionSlot(currentProgramme(), sessionId);
  if (!slot) return null;
  const zone = getEdition().timezone;
  return {
    day: formatDay(localDay(slot.startsAt, zone), locale),
    startsAt: slot.startsAt,
    endsAt: slot.endsAt,
    zone,
    times: describeTimes(zone, slot.startsAt, locale),
    room: slot.room,
    href: localizePath(`/sessions/${slot.slug}`, locale),
  };
}

/** /cfp/proposals/[code]: the proposal of one of its speakers, its forms and their results. */
export async function proposalState(Astro: AstroGlobal): Promise<Page<ProposalProps>> {
  const locale = asLocale(Astro.currentLocale);
  const code = String(Astro.params.code ?? "").toUpperCase();
  const here = proposalPath(locale, code);
  const englishHere = proposalPath("en", code);
  const answered = Astro.getActionResult(actions.cfpAnswerAcceptance);
  const results: [ProposalForm, ProposalNotice, ReturnType<typeof Astro.getActionResult>][] = [
    ["edit", "saved", Astro.getActionResult(actions.cfpUpdateProposal)],
    ["submit", "submitted", Astro.getActionResult(actions.cfpSubmitProposal)],
    ["withdraw", "withdrawn", Astro.getActionResult(actions.cfpWithdrawProposal)],
    ["invite", "invited", Astro.getActionResult(actions.cfpInvite)],
    ["invitation", "resent", Astro.getActionResult(actions.cfpResendInvitation)],
    ["invitation", "invitationWithdrawn", Astro.getActionResult(actions.cfpWithdrawInvitation)],
    ["answer", answered?.data?.already ? "alreadyAnswered" : answered?.data?.state === "declined" ? "declined" : "confirmed", answered],
  ];
  const who = signedIn(Astro, englishHere);
  if ("redirect" in who) return who;
  const posted = results.find(([, , result]) => result);
  if (posted && needsSignIn(posted[2]!.error)) return { redirect: signInPath(locale, englishHere) };
  if (posted && !posted[2]!.error)
    return {
      redirect: `${here}?notice=${posted[1]}${posted[0] === "edit" ? "" : posted[0] === "invite" || posted[0] === "invitation" ? "#invitations" : ""}`,
    };
  const proposal = proposalForSpeaker(getDb(), getEdition(), who.account, code);
  if (!proposal) return { notFound: true };
  const error = posted?.[2]?.error;
  setRetryAfter(Astro, error);
  const fields = posted?.[0] === "invite" ? ["email"] : [...PROPOSAL_FIELDS];
  const sent =
    error && (posted![0] === "edit" || posted![0] === "invite") && error.code !== "CONFLICT"
      ? ((await submittedForm(Astro.request)) ?? {})
      : {};
  const formatRows = callFormatRows(locale);
  const allTracks = trackOptions(locale);
  const notice = Astro.url.searchParams.get("notice");
  const call = proposal.call;
  return {
    props: {
      locale,
      proposal,
      formatName: formatRows.find((f) => f.slug === proposal.format)?.name ?? proposal.format,
      trackName: allTracks.find((tr) => tr.value === proposal.track)?.label ?? "",
      formats: formatRows,
      tracks: allTracks,
      values: {
        titleEn: proposal.title.en,
        titleFr: proposal.title.fr,
        abstractEn: proposal.abstract.en,
        abstractFr: proposal.abstract.fr,
        descriptionEn: proposal.description.en,
        descriptionFr: proposal.description.fr,
        format: proposal.format,
        track: proposal.track,
        language: proposal.language,
        audience: proposal.audience,
        tlp: proposal.tlp,
        notes: proposal.notes,
        email: "",
        ...sent,
      },
      errors: error ? cfpErrors(error, t(locale), fields) : noErrors(),
      errorsOf: error ? posted![0] : undefined,
      notice: !posted && PROPOSAL_NOTICES.includes(notice as ProposalNotice) ? (notice as ProposalNotice) : undefined,
      until: call ? formatWhen(call.deadline, locale) : "",
      placement: proposal.state === "confirmed" ? publishedSlot(proposal.sessionId, locale) : null,
    },
  };
}

export interface InvitationProps {
  locale: Locale;
  token: string;
  invitation: ReturnType<typeof invitationByToken>;
  signedIn: boolean;
  declined: boolean;
  signIn: string;
  errors: FormErrors;
}

/** /cfp/invitation/[token]: accept (signed in) or decline, by a button. */
export function invitationState(Astro: AstroGlobal): Page<InvitationProps> {
  const locale = asLocale(Astro.currentLocale);
  privatePage(Astro);
  const token = String(Astro.params.token ?? "");
  const englishHere = `/cfp/invitation/${encodeURIComponent(token)}`;
  const accepted = Astro.getActionResult(actions.cfpAcceptInvitation);
  const declined = Astro.getActionResult(actions.cfpDeclineInvitation);
  if (needsSignIn(accepted?.error)) return { redirect: signInPath(locale, englishHere) };
  if (accepted && !accepted.error) return { redirect: `${proposalPath(locale, accepted.data.code)}?notice=joined` };
  if (declined && !declined.error) return { redirect: `${localizePath(englishHere, locale)}?declined=1` };
  const error = accepted?.error ?? declined?.error;
  return {
    props: {
      locale,
      token,
      invitation: invitationByToken(getDb(), token),
      signedIn: !!Astro.locals.principal,
      declined: Astro.url.searchParams.get("declined") === "1",
      signIn: signInPath(locale, englishHere),
      errors: cfpErrors(error, t(locale), []),
    },
  };
}

export interface LateProps {
  locale: Locale;
  grant: { email: string; until: string; format: string } | null;
  /** The signed-in account's address, if any. */
  account: string | null;
  signIn: string;
}

/** /cfp/late/[token]: what the link allows, and the way to use it. */
export function lateState(Astro: AstroGlobal): LateProps {
  const locale = asLocale(Astro.currentLocale);
  privatePage(Astro);
  const grant = lateGrantByToken(getDb(), String(Astro.params.token ?? ""));
  const format = grant?.formatId ? getDb().select().from(formats).where(eq(formats.id, grant.formatId)).get() : undefined;
  return {
    locale,
    grant: grant
      ? {
          email: grant.email,
          until: formatWhen(grant.expiresAt, locale),
          format: format ? (locale === "fr" ? format.nameFr : format.nameEn) : "",
        }
      : null,
    account: Astro.locals.principal?.user.email ?? null,
    signIn: signInPath(locale, "/cfp/proposals/new"),
  };
}
