import type { AstroGlobal } from "astro";
import { actions, isInputError, type ActionError } from "astro:actions";
import { editionDays } from "../../lib/config/edition.ts";
import { t, type Locale, type Messages } from "../../i18n/index.ts";
import {
  availabilityRows,
  findEntry,
  listFormats,
  listRooms,
  listSpeakers,
  listTracks,
  usesOf,
  type CatalogueKind,
} from "../../lib/programme/catalogue.ts";
import { formErrors, submittedFields, type FormErrors } from "../../web/forms.ts";
import { getDb, getEdition } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";
import { pageUrl } from "./mailstaff-state.ts";
import type { Loaded } from "./route.ts";

/** Request handling of the catalogue pages: guard, Action results, redirect after success, values kept after an error. */

/** An Action's error as messages by field (input errors, and `catalogue:photo_...` on `photo`) or for the whole form. */
export function catalogueErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  return formErrors(error, m, fieldOrder, {
    fieldOf: (key) => (key.startsWith("catalogue:photo_") ? "photo" : undefined),
  });
}

const str = (form: URLSearchParams | null, key: string) => {
  const v = form?.get(key);
  return typeof v === "string" ? v : "";
};
const strs = (form: URLSearchParams, key: string) => form.getAll(key).map((v) => (typeof v === "string" ? v : ""));

const DONE = ["created", "saved", "deleted", "moved", "photo", "photoRemoved"] as const;
export type CatalogueDone = (typeof DONE)[number];
const doneOf = (url: URL): CatalogueDone | undefined => DONE.find((d) => d === url.searchParams.get("done"));

/** A field that differs between what the organizer typed and what someone else saved. */
export interface ConflictField {
  field: string;
  yours: string;
}

// ---------------------------------------------------------------------------------------------------
// Rooms, tracks and formats: one page each, a list and one form (add, or edit with ?edit=<slug>).

export type SimpleKind = Exclude<CatalogueKind, "speaker">;

export const SIMPLE_FIELDS = {
  room: ["name", "capacity", "description"],
  track: ["nameEn", "nameFr", "colour"],
  format: ["nameEn", "nameFr", "defaultDuration"],
} as const satisfies Record<SimpleKind, readonly string[]>;

export interface CatalogueRow {
  slug: string;
  name: string;
  values: Record<string, string>;
  uses: number;
}

export interface CatalogueProps {
  locale: Locale;
  kind: SimpleKind;
  rows: CatalogueRow[];
  /** The form: add (no slug) or edit one entry. */
  form: { slug?: string; name?: string; updatedAt?: number; uses?: number; values: Record<string, string> };
  errors: FormErrors;
  conflict?: ConflictField[];
  done?: CatalogueDone;
  /** Where the forms post: `?_action=<name>` on this page, the edited entry kept. */
  actionUrl: (name: string, keepEdit?: boolean) => string;
}

const ACTIONS = {
  room: { create: actions.roomCreate, update: actions.roomUpdate, delete: actions.roomDelete, move: actions.roomMove },
  track: { create: actions.trackCreate, update: actions.trackUpdate, delete: actions.trackDelete, move: actions.trackMove },
  format: { create: actions.formatCreate, update: actions.formatUpdate, delete: actions.formatDelete, move: undefined },
};

function rowsOf(kind: SimpleKind, locale: Locale): CatalogueRow[] {
  const db = getDb();
  if (kind === "room")
    return listRooms(db).map(({ room, uses }) => ({
      slug: room.slug,
      name: room.name,
      values: { name: room.name, capacity: String(room.capacity), description: room.description },
      uses,
    }));
  if (kind === "track")
    return listTracks(db).map(({ track, uses }) => ({
      slug: track.slug,
      name: locale === "fr" ? track.nameFr : track.nameEn,
      values: { nameEn: track.nameEn, nameFr: track.nameFr, colour: track.colour },
      uses,
    }));
  return listFormats(db).map(({ format, uses }) => ({
    slug: format.slug,
    name: locale === "fr" ? format.nameFr : format.nameEn,
    values: { nameEn: format.nameEn, nameFr: format.nameFr, defaultDuration: String(format.defaultDuration) },
    uses,
  }));
}

/** The rooms, tracks or formats page (`programme.edit`). */
export async function catalogueState(Astro: AstroGlobal, kind: SimpleKind): Promise<Guarded<CatalogueProps>> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const m = t(locale);
  const own = ACTIONS[kind];
  const created = Astro.getActionResult(own.create);
  const updated = Astro.getActionResult(own.update);
  const deleted = Astro.getActionResult(own.delete);
  const moved = own.move && Astro.getActionResult(own.move);
  if (created && !created.error) return { redirect: pageUrl(Astro.url, { done: "created" }, ["edit", "done"]) };
  if (updated && !updated.error) return { redirect: pageUrl(Astro.url, { done: "saved" }, ["edit", "done"]) };
  if (deleted && !deleted.error) return { redirect: pageUrl(Astro.url, { done: "deleted" }, ["edit", "done"]) };
  if (moved && !moved.error) return { redirect: pageUrl(Astro.url, { done: "moved" }, ["done"]) };

  const fields = SIMPLE_FIELDS[kind];
  const rows = rowsOf(kind, locale);
  const submitted = await submittedFields(Astro.request);
  const typed = () => Object.fromEntries(fields.map((f) => [f, str(submitted, f)]));
  const editSlug = Astro.url.searchParams.get("edit") ?? (updated?.error || deleted?.error ? str(submitted, "slug") : "");
  const editing = editSlug ? rows.find((r) => r.slug === editSlug) : undefined;
  const entry = editing ? findEntry(getDb(), kind, editing.slug) : undefined;
  const error = (created?.error ?? updated?.error ?? deleted?.error ?? moved?.error) as ActionError | undefined;
  const errors = catalogueErrors(error, m, fields);

  let form: CatalogueProps["form"] = { values: Object.fromEntries(fields.map((f) => [f, ""])) };
  let conflict: ConflictField[] | undefined;
  if (created?.error) form = { values: typed() };
  else if (editing && entry) {
    form = { slug: editing.slug, name: editing.name, updatedAt: entry.updatedAt.getTime(), uses: editing.uses, values: editing.values };
    if (updated?.error?.code === "CONFLICT") {
      const yours = typed();
      conflict = fields.filter((f) => yours[f].trim() !== editing.values[f]).map((f) => ({ field: f, yours: yours[f] }));
    } else if (updated?.error && isInputError(updated.error)) {
      form = { ...form, values: typed(), updatedAt: Number(str(submitted, "updatedAt")) || form.updatedAt };
    }
  }
  return {
    props: {
      locale,
      kind,
      rows,
      form,
      errors,
      conflict,
      done: doneOf(Astro.url),
      actionUrl: (name, keepEdit = false) => pageUrl(Astro.url, { _action: name }, keepEdit ? ["done"] : ["done", "edit"]),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Speakers

export interface SpeakersProps {
  locale: Locale;
  q: string;
  list: ReturnType<typeof listSpeakers>;
  done?: CatalogueDone;
}

/** The speakers list (`programme.edit`), searched with `?q=`. */
export function speakersState(Astro: AstroGlobal): Guarded<SpeakersProps> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const q = (Astro.url.searchParams.get("q") ?? "").slice(0, 200);
  return { props: { locale: guard.locale, q, list: listSpeakers(getDb(), q, guard.locale), done: doneOf(Astro.url) } };
}

export const SPEAKER_FIELDS = ["name", "affiliation", "country", "bioEn", "bioFr", "links", "email", "language", "availability"] as const;
/** Empty rows offered after the speaker's own links and windows. */
const SPARE_LINKS = 2;
const SPARE_WINDOWS = 2;

export interface SpeakerFormValues {
  name: string;
  affiliation: string;
  country: string;
  bioEn: string;
  bioFr: string;
  email: string;
  language: string;
  links: { label: string; url: string }[];
  availability: { day: string; from: string; to: string }[];
}

export interface SpeakerProps {
  locale: Locale;
  /** Absent for a new speaker. */
  speaker?: { slug: string; name: string; photo: string | null; updatedAt: number; sessions: string[] };
  values: SpeakerFormValues;
  days: string[];
  errors: FormErrors;
  /** Errors of the photo form. */
  photoErrors: FormErrors;
  /** Errors of the delete form, and whether the speaker still has sessions (asks for confirmation). */
  deleteErrors: FormErrors;
  conflict?: ConflictField[];
  done?: CatalogueDone;
}

const withSpares = <T>(rows: T[], spare: number, blank: () => T) => [...rows, ...Array.from({ length: spare }, blank)];

function typedSpeaker(form: URLSearchParams, days: string[]): SpeakerFormValues {
  const labels = strs(form, "linkLabel");
  const urls = strs(form, "linkUrl");
  const windowDays = strs(form, "availabilityDay");
  const froms = strs(form, "availabilityFrom");
  const tos = strs(form, "availabilityTo");
  return {
    name: str(form, "name"),
    affiliation: str(form, "affiliation"),
    country: str(form, "country"),
    bioEn: str(form, "bioEn"),
    bioFr: str(form, "bioFr"),
    email: str(form, "email"),
    language: str(form, "language") || "en",
    links: Array.from({ length: Math.max(labels.length, urls.length) }, (_, i) => ({ label: labels[i] ?? "", url: urls[i] ?? "" })),
    availability: Array.from({ length: Math.max(windowDays.length, froms.length, tos.length) }, (_, i) => ({
      day: windowDays[i] || days[0],
      from: froms[i] ?? "",
      to: tos[i] ?? "",
    })),
  };
}

/** The speaker form, new (`slug` undefined) or existing (`/admin/programme/speakers/<slug>`). */
export async function speakerState(Astro: AstroGlobal, slug?: string): Promise<Loaded<SpeakerProps>> {
  const guard = guardPage(Astro, "programme.edit");
  if (!("ok" in guard)) return guard;
  const { locale } = guard;
  const m = t(locale);
  const list = (done: string) => `${Astro.url.pathname.replace(/\/[^/]*$/, "")}?done=${done}`;
  const own = (to: string, done: string) => `${Astro.url.pathname.replace(/\/[^/]*$/, "")}/${to}?done=${done}`;

  const created = Astro.getActionResult(actions.speakerCreate);
  if (created && !created.error) return { redirect: own(created.data.slug, "created") };
  const updated = Astro.getActionResult(actions.speakerUpdate);
  if (updated && !updated.error) return { redirect: own(updated.data.slug, "saved") };
  const photo = Astro.getActionResult(actions.speakerPhoto);
  if (photo && !photo.error) return { redirect: own(photo.data.slug, "photo") };
  const photoRemoved = Astro.getActionResult(actions.speakerPhotoRemove);
  if (photoRemoved && !photoRemoved.error) return { redirect: own(photoRemoved.data.slug, "photoRemoved") };
  const deleted = Astro.getActionResult(actions.speakerDelete);
  if (deleted && !deleted.error) return { redirect: list("deleted") };

  const edition = getEdition();
  const days = editionDays(edition);
  const blankLink = () => ({ label: "", url: "" });
  const blankWindow = () => ({ day: days[0], from: "", to: "" });
  const row = slug ? findEntry(getDb(), "speaker", slug) : undefined;
  if (slug && !row) return { notFound: true };

  const stored: SpeakerFormValues | undefined = row && {
    name: row.name,
    affiliation: row.affiliation,
    country: row.country,
    bioEn: row.bioEn,
    bioFr: row.bioFr,
    email: row.email ?? "",
    language: row.language,
    links: row.links,
    availability: availabilityRows(row.availability, edition.timezone),
  };
  const formError = (created?.error ?? updated?.error) as ActionError | undefined;
  const submitted = formError ? await submittedFields(Astro.request) : null;
  let values: SpeakerFormValues = stored ?? {
    name: "",
    affiliation: "",
    country: "",
    bioEn: "",
    bioFr: "",
    email: "",
    language: locale,
    links: [],
    availability: [],
  };
  let conflict: ConflictField[] | undefined;
  if (submitted && formError?.code === "CONFLICT" && stored) {
    const yours = typedSpeaker(submitted, days);
    const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    const nonEmptyLinks = yours.links.filter((l) => l.label || l.url);
    const nonEmptyWindows = yours.availability.filter((w) => w.from || w.to);
    const compare: [string, unknown, unknown][] = [
      ["name", yours.name.trim(), stored.name],
      ["affiliation", yours.affiliation.trim(), stored.affiliation],
      ["country", yours.country.trim().toUpperCase(), stored.country],
      ["bioEn", yours.bioEn.replace(/\r\n?/g, "\n").trim(), stored.bioEn],
      ["bioFr", yours.bioFr.replace(/\r\n?/g, "\n").trim(), stored.bioFr],
      ["email", yours.email.trim().toLowerCase(), stored.email],
      ["language", yours.language, stored.language],
    ];
    conflict = compare.filter(([, a, b]) => a !== b).map(([field, a]) => ({ field, yours: show(a) }));
    if (JSON.stringify(nonEmptyLinks) !== JSON.stringify(stored.links))
      conflict.push({ field: "links", yours: nonEmptyLinks.map((l) => `${l.label} <${l.url}>`).join(", ") });
    if (JSON.stringify(nonEmptyWindows) !== JSON.stringify(stored.availability))
      conflict.push({ field: "availability", yours: nonEmptyWindows.map((w) => `${w.day} ${w.from}–${w.to}`).join(", ") });
  } else if (submitted) {
    values = typedSpeaker(submitted, days);
  }
  values = {
    ...values,
    links: withSpares(
      values.links.filter((l) => l.label || l.url),
      SPARE_LINKS,
      blankLink,
    ),
    availability: withSpares(
      values.availability.filter((w) => w.from || w.to),
      SPARE_WINDOWS,
      blankWindow,
    ),
  };

  const deleteError = deleted?.error as ActionError | undefined;
  return {
    props: {
      locale,
      speaker: row && {
        slug: row.slug,
        name: row.name,
        photo: row.photo,
        updatedAt: row.updatedAt.getTime(),
        sessions: usesOf(getDb(), "speaker", row.id).sessions,
      },
      values,
      days,
      errors: catalogueErrors(formError, m, SPEAKER_FIELDS),
      photoErrors: catalogueErrors((photo?.error ?? photoRemoved?.error) as ActionError | undefined, m, ["photo"]),
      deleteErrors: catalogueErrors(deleteError, m, ["detach"]),
      conflict,
      done: doneOf(Astro.url),
    },
  };
}
