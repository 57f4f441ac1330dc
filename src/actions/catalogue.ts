import { ActionError, defineAction, type ActionAPIContext } from "astro:actions";
import { actorOf, requirePermission } from "./guard.ts";
import { z } from "zod";
import { checkbox } from "../lib/fields.ts";
import {
  createEntry,
  deleteEntry,
  formatFields,
  moveEntry,
  roomFields,
  rowFields,
  slugOnly,
  speakerSchema,
  speakerUpdateSchema,
  trackFields,
  updateEntry,
  type CatalogueKind,
  type DeleteResult,
  type UpdateResult,
} from "../lib/programme/catalogue.ts";
import type { EditorActor } from "../lib/programme/editor.ts";
import { processPhoto, setSpeakerPhoto } from "../lib/programme/photos.ts";
import { getDb, getEdition } from "../web/runtime.ts";

/**
 * The organizers' catalogue forms: rooms, tracks, formats, speakers and speakers' photos. Each asks
 * the guard for `programme.edit`, then hands the validated form to src/lib/programme/catalogue.ts.
 * Refusals are error keys (`catalogue:...`) the pages translate.
 */

const notFound = () => new ActionError({ code: "NOT_FOUND", message: "catalogue:notFound" });

function saved<K extends CatalogueKind>(result: UpdateResult<K>) {
  if (result.ok) return { slug: result.slug };
  if (result.error === "not_found") throw notFound();
  throw new ActionError({ code: "CONFLICT", message: "catalogue:conflict" });
}

function deleted(result: DeleteResult, kind: CatalogueKind) {
  if (result.ok) return { deleted: true };
  if (result.error === "not_found") throw notFound();
  if (result.error === "has_proposals")
    throw new ActionError({ code: "CONFLICT", message: `catalogue:speakerHasProposals:${result.proposals}` });
  throw new ActionError({ code: "CONFLICT", message: `catalogue:${kind === "speaker" ? "speakerInUse" : "inUse"}:${result.uses}` });
}

const direction = z.preprocess((v) => (typeof v === "string" ? v.trim() : v), z.enum(["up", "down"], "invalid"));

/** Create, update, delete (and move, for ordered kinds) Actions of one kind with a fixed schema. */
function simpleKind<K extends "room" | "track" | "format", S extends z.ZodRawShape>(kind: K, fields: S) {
  return {
    create: defineAction({
      accept: "form",
      input: z.object(fields),
      handler: (input, context) => createEntry(getDb(), kind, input as never, organizer(context)),
    }),
    update: defineAction({
      accept: "form",
      input: z.object({ ...rowFields, ...fields }),
      handler: (input, context) => {
        const { slug, updatedAt, ...fields } = input as { slug: string; updatedAt: number };
        return saved(updateEntry(getDb(), kind, slug, updatedAt, fields as never, organizer(context)));
      },
    }),
    delete: defineAction({
      accept: "form",
      input: z.object(slugOnly),
      handler: ({ slug }, context) => deleted(deleteEntry(getDb(), kind, slug, organizer(context)), kind),
    }),
  };
}

function moveAction(kind: "room" | "track") {
  return defineAction({
    accept: "form",
    input: z.object({ ...slugOnly, direction }),
    handler: ({ slug, direction: to }, context) => {
      const result = moveEntry(getDb(), kind, slug, to, organizer(context));
      if (!result.ok) throw notFound();
      return { slug, position: result.position };
    },
  });
}

const room = simpleKind("room", roomFields);
const track = simpleKind("track", trackFields);
const format = simpleKind("format", formatFields);

/** The organizer making the change; otherwise the Action stops (401 or 403). */
const organizer = (context: ActionAPIContext): EditorActor => actorOf(requirePermission(context, "programme.edit"));

export const catalogue = {
  roomCreate: room.create,
  roomUpdate: room.update,
  roomDelete: room.delete,
  roomMove: moveAction("room"),
  trackCreate: track.create,
  trackUpdate: track.update,
  trackDelete: track.delete,
  trackMove: moveAction("track"),
  formatCreate: format.create,
  formatUpdate: format.update,
  formatDelete: format.delete,

  speakerCreate: defineAction({
    accept: "form",
    input: speakerSchema(getEdition()),
    handler: (input, context) => createEntry(getDb(), "speaker", input, organizer(context)),
  }),

  speakerUpdate: defineAction({
    accept: "form",
    input: speakerUpdateSchema(getEdition()),
    handler: ({ slug, updatedAt, ...input }, context) => saved(updateEntry(getDb(), "speaker", slug, updatedAt, input, organizer(context))),
  }),

  /** Deletes a speaker; one who has sessions only with `detach` (the organizer confirmed taking them off). */
  speakerDelete: defineAction({
    accept: "form",
    input: z.object({ ...slugOnly, detach: checkbox }),
    handler: ({ slug, detach }, context) =>
      deleted(deleteEntry(getDb(), "speaker", slug, organizer(context), { detachFromSessions: detach }), "speaker"),
  }),

  /**
   * A new photo (multipart form). Its body limit is raised in src/web/action-body-limit.ts; the
   * image is decoded only after the guard said yes. A refused image is `catalogue:photo_...`.
   */
  speakerPhoto: defineAction({
    accept: "form",
    input: z.object({ ...slugOnly, photo: z.instanceof(File, { error: "catalogue:photo_required" }) }),
    handler: async ({ slug, photo }, context) => {
      const actor = organizer(context);
      const processed = await processPhoto(new Uint8Array(await photo.arrayBuffer()));
      if (!processed.ok) throw new ActionError({ code: "BAD_REQUEST", message: `catalogue:${processed.error}` });
      const result = setSpeakerPhoto(getDb(), slug, processed.photo, actor);
      if (!result.ok) throw notFound();
      return { slug, photo: result.url };
    },
  }),

  speakerPhotoRemove: defineAction({
    accept: "form",
    input: z.object(slugOnly),
    handler: ({ slug }, context) => {
      const result = setSpeakerPhoto(getDb(), slug, null, organizer(context));
      if (!result.ok) throw notFound();
      return { slug, photo: null };
    },
  }),
};
