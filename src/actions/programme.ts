import { ActionError, defineAction, type ActionAPIContext } from "astro:actions";
import { actorOf, requirePermission } from "./guard.ts";
import { z } from "zod";
import { checkbox, optionalId, text, trimmed, version } from "../lib/fields.ts";
import { AUDIENCES, LANGUAGES, TLP_LABELS } from "../../db/schema/programme.ts";
import { editionDays } from "../lib/config/edition.ts";
import { editionConflictOptions } from "../lib/programme/conflicts.ts";
import { publishCheckedRelease } from "../lib/programme/releases.ts";
import {
  createSession,
  EDITOR_STATES,
  MAX_EXPECTED_AUDIENCE,
  MAX_LENGTHS,
  scheduleSession,
  setSessionState,
  updateSessionDetails,
  type DetailsError,
  type ScheduleError,
} from "../lib/programme/editor.ts";
import { zonedToInstant } from "../lib/programme/time.ts";
import { getDb, getEdition } from "../web/runtime.ts";

/**
 * The organizers' programme editor (sessions and their place on the grid). The schedule page's
 * drag and drop calls `sessionSchedule` from the browser; without JavaScript the same Action takes
 * the session page's form. Refusals are `editor:<code>` keys the pages translate and put by the field.
 */

const organizer = (context: ActionAPIContext) => requirePermission(context, "programme.edit");

const slug = z
  .string("required")
  .regex(/^[a-z0-9][a-z0-9-]*$/, "invalid")
  .max(120, "invalid");
/** Speakers in order: one select per position, blanks skipped. */
const speakerList = z
  .array(z.string("invalid"))
  .max(20, "invalid")
  .transform((list) => list.filter((x) => x !== "").map(Number))
  .pipe(z.array(z.number("invalid").int("invalid").positive("invalid")));
const expectedAudience = z.preprocess(
  (v) => (v === "" || v === null || v === undefined ? null : v),
  z.coerce.number("invalid").int("invalid").min(1, "invalid").max(MAX_EXPECTED_AUDIENCE, "invalid").nullable(),
);

const detailsFields = {
  titleEn: text(MAX_LENGTHS.title, { multiline: true }),
  titleFr: text(MAX_LENGTHS.title, { multiline: true }),
  abstractEn: text(MAX_LENGTHS.abstract, { multiline: true }),
  abstractFr: text(MAX_LENGTHS.abstract, { multiline: true }),
  descriptionEn: text(MAX_LENGTHS.description, { multiline: true }),
  descriptionFr: text(MAX_LENGTHS.description, { multiline: true }),
  language: z.enum(LANGUAGES, "invalid"),
  audience: z.enum(AUDIENCES, "invalid"),
  tlp: z.enum(TLP_LABELS, "invalid"),
  titlePublic: checkbox,
  formatId: z.coerce.number("required").int("required").positive("required"),
  trackId: optionalId,
  speakerIds: speakerList,
  expectedAudience,
};

/** A title in one language at least: the message sits by the English one. */
function titleInOneLanguage(v: { titleEn: unknown; titleFr: unknown }, ctx: z.RefinementCtx) {
  if (!v.titleEn && !v.titleFr) ctx.addIssue({ code: "custom", path: ["titleEn"], message: "editor:titleEitherLanguage" });
}
/** Runs even when other fields failed, so that every error shows at once. */
const ALWAYS = { when: () => true };

/** What the caller read before editing, as JSON in a hidden field, to say which fields someone else changed. */
const seen = z.preprocess((v) => {
  if (typeof v !== "string" || v.length > 100_000) return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}, z.record(z.string(), z.unknown()).optional());

function refuse(error: DetailsError | ScheduleError | "not_allowed" | "conflict"): never {
  const code = error === "not_found" ? "NOT_FOUND" : error === "conflict" ? "CONFLICT" : "BAD_REQUEST";
  throw new ActionError({ code, message: `editor:${error}` });
}

export const programme = {
  sessionCreate: defineAction({
    accept: "form",
    input: z.object(detailsFields).superRefine(titleInOneLanguage, ALWAYS),
    handler: (input, context) => {
      const principal = organizer(context);
      const result = createSession(getDb(), getEdition(), input, actorOf(principal));
      if (!result.ok) refuse(result.error);
      return { slug: result.slug };
    },
  }),

  sessionDetails: defineAction({
    accept: "form",
    input: z.object({ slug, version, seen, ...detailsFields }).superRefine(titleInOneLanguage, ALWAYS),
    handler: ({ seen: before, ...input }, context) => {
      const principal = organizer(context);
      const result = updateSessionDetails(getDb(), getEdition(), { ...input, seen: before as never }, actorOf(principal));
      if (!result.ok) refuse(result.error);
      return { slug: input.slug, version: result.version };
    },
  }),

  /** Places a session at `day` `start`–`end` in a room (empty: every room), or takes it off the grid (`unschedule`). */
  sessionSchedule: defineAction({
    accept: "form",
    input: z
      .object({
        slug,
        version,
        unschedule: checkbox,
        day: z.string().nullish(),
        start: z.string().nullish(),
        end: z.string().nullish(),
        roomId: optionalId,
      })
      .superRefine((v, ctx) => {
        if (v.unschedule) return;
        if (!v.day || !/^\d{4}-\d{2}-\d{2}$/.test(v.day))
          ctx.addIssue({ code: "custom", path: ["day"], message: v.day ? "invalid" : "required" });
        for (const key of ["start", "end"] as const) {
          const value = v[key];
          if (!value || !/^([01]\d|2[0-3]):[0-5]\d$/.test(value))
            ctx.addIssue({ code: "custom", path: [key], message: value ? "invalidTime" : "required" });
        }
      }),
    handler: (input, context) => {
      const principal = organizer(context);
      const edition = getEdition();
      let fields: { startsAt: Date | null; endsAt: Date | null; roomId: number | null } = { startsAt: null, endsAt: null, roomId: null };
      if (!input.unschedule) {
        const day = input.day!;
        if (!editionDays(edition).includes(day)) refuse("outside_days");
        fields = {
          startsAt: zonedToInstant(day, input.start!, edition.timezone),
          // An end at or before the start is refused by the editor, not moved to the next day.
          endsAt: zonedToInstant(day, input.end!, edition.timezone),
          roomId: input.roomId,
        };
      }
      const result = scheduleSession(getDb(), edition, { slug: input.slug, version: input.version, ...fields }, actorOf(principal));
      if (!result.ok) refuse(result.error);
      return { slug: input.slug, version: result.version };
    },
  }),

  sessionState: defineAction({
    accept: "form",
    input: z.object({ slug, version, state: z.enum(EDITOR_STATES, "invalid") }),
    handler: (input, context) => {
      const principal = organizer(context);
      const result = setSessionState(getDb(), input, actorOf(principal));
      if (!result.ok) refuse(result.error);
      return { slug: input.slug, version: result.version };
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
