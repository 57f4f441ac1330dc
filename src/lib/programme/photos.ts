import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import sharp, { type Metadata } from "sharp";
import type { Db } from "../../../db/client.ts";
import { media } from "../../../db/schema/media.ts";
import { speakers } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import type { EditorActor } from "./editor.ts";

/**
 * Speakers' photos. An upload is decoded (JPEG, PNG or WebP only, recognised by its bytes, not by
 * the name or type the browser claims), turned upright by its EXIF orientation, cropped to a square,
 * and re-encoded as WebP without any metadata: no camera, no GPS position, no colour profile. The
 * result is stored in `media` under the SHA-256 of its bytes and served at `/media/<hash>.webp`.
 */

/** Largest upload accepted (bytes). The photo Action's body limit is a little above it. */
export const MAX_PHOTO_BYTES = 5 * 1024 * 1024;
/** Largest decoded image (pixels): refuses decompression bombs before they are decoded. */
export const MAX_PHOTO_PIXELS = 25_000_000;
/** Smallest side accepted, so that a thumbnail is not blown up to a blur. */
export const MIN_PHOTO_SIDE = 100;
/** Side of the stored square (pixels). */
export const PHOTO_SIZE = 400;
export const PHOTO_TYPE = "image/webp";

export type PhotoError = "photo_required" | "photo_too_large" | "photo_type" | "photo_unreadable" | "photo_dimensions" | "photo_too_small";

export interface ProcessedPhoto {
  bytes: Buffer;
  hash: string;
  contentType: typeof PHOTO_TYPE;
  width: number;
  height: number;
}

/** The image type the bytes start with, whatever the file claims to be. */
export function sniffImageType(bytes: Uint8Array): "jpeg" | "png" | "webp" | null {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

type PhotoResult = { ok: true; photo: ProcessedPhoto } | { ok: false; error: PhotoError };

let decoding: Promise<unknown> = Promise.resolve();

/**
 * Re-encodes an uploaded photo, or says why it is refused. One photo decodes at a time per process:
 * a large image takes a few hundred megabytes while decoded, and anyone with an account may upload.
 */
export function processPhoto(bytes: Uint8Array): Promise<PhotoResult> {
  const run = decoding.then(() => decodePhoto(bytes));
  decoding = run.catch(() => undefined);
  return run;
}

async function decodePhoto(bytes: Uint8Array): Promise<PhotoResult> {
  if (bytes.byteLength === 0) return { ok: false, error: "photo_required" };
  if (bytes.byteLength > MAX_PHOTO_BYTES) return { ok: false, error: "photo_too_large" };
  const type = sniffImageType(bytes);
  if (!type) return { ok: false, error: "photo_type" };
  const options = { limitInputPixels: MAX_PHOTO_PIXELS, failOn: "error" as const };
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, options).metadata();
  } catch (error) {
    return { ok: false, error: /pixel limit/i.test(String(error)) ? "photo_dimensions" : "photo_unreadable" };
  }
  // The container may say one thing and hold another (a PNG named .jpg is fine; a TIFF in disguise is not).
  if (metadata.format !== type) return { ok: false, error: "photo_type" };
  const { width = 0, height = 0 } = metadata;
  if (width * height > MAX_PHOTO_PIXELS) return { ok: false, error: "photo_dimensions" };
  if (Math.min(width, height) < MIN_PHOTO_SIDE) return { ok: false, error: "photo_too_small" };
  try {
    const { data, info } = await sharp(bytes, options)
      .rotate()
      .resize(PHOTO_SIZE, PHOTO_SIZE, { fit: "cover", position: "attention" })
      .webp({ quality: 82 })
      .toBuffer({ resolveWithObject: true });
    const hash = createHash("sha256").update(data).digest("hex");
    return { ok: true, photo: { bytes: data, hash, contentType: PHOTO_TYPE, width: info.width, height: info.height } };
  } catch (error) {
    return { ok: false, error: /pixel limit/i.test(String(error)) ? "photo_dimensions" : "photo_unreadable" };
  }
}

/** The public URL of a stored photo. */
export const photoUrl = (hash: string) => `/media/${hash}.webp`;

export type SetPhotoResult = { ok: true; url: string; updatedAt: number } | { ok: false; error: "not_found" };

/**
 * Stores a processed photo (once per content) and makes it the speaker's photo, or removes the photo
 * with `null`. Earlier photos stay in `media`: a published release may still show them.
 */
export function setSpeakerPhoto(
  db: Db,
  slug: string,
  photo: ProcessedPhoto | null,
  actor: EditorActor,
  now: number = Date.now(),
): SetPhotoResult {
  return db.transaction(
    (tx): SetPhotoResult => {
      const speaker = tx.select().from(speakers).where(eq(speakers.slug, slug)).get();
      if (!speaker) return { ok: false, error: "not_found" };
      if (photo) {
        tx.insert(media)
          .values({ hash: photo.hash, contentType: photo.contentType, bytes: photo.bytes, width: photo.width, height: photo.height })
          .onConflictDoNothing({ target: media.hash })
          .run();
      }
      const url = photo ? photoUrl(photo.hash) : null;
      const updatedAt = new Date(Math.max(now, speaker.updatedAt.getTime() + 1));
      tx.update(speakers).set({ photo: url, updatedAt }).where(eq(speakers.id, speaker.id)).run();
      recordAudit(
        tx,
        {
          actor,
          action: "speaker.photo",
          subjectType: "speaker",
          subjectId: slug,
          before: { photo: speaker.photo },
          after: { photo: url },
        },
        now,
      );
      return { ok: true, url: url ?? "", updatedAt: updatedAt.getTime() };
    },
    { behavior: "immediate" },
  );
}

/** A stored image by its file name (`<sha256>.webp`), or undefined. */
export function findMedia(db: Db, file: string): { bytes: Buffer; contentType: string } | undefined {
  const match = /^([0-9a-f]{64})\.webp$/.exec(file);
  if (!match) return undefined;
  return db.select({ bytes: media.bytes, contentType: media.contentType }).from(media).where(eq(media.hash, match[1])).get();
}

/** How long an unused upload is kept before the housekeeping deletes it. */
export const UNUSED_MEDIA_GRACE_MS = 60 * 60_000;

/**
 * Deletes stored images no speaker uses and the latest release does not show (a replaced or
 * removed photo, the photo of a profile since deleted), once older than `graceMs`. Older releases
 * are only read for the changelog, which shows no photo. Returns how many were deleted.
 */
export function purgeUnusedMedia(db: Db, now: number = Date.now(), graceMs = UNUSED_MEDIA_GRACE_MS): number {
  return db.$client
    .prepare(
      `delete from media
        where created_at < ?
          and not exists (select 1 from speakers where speakers.photo = '/media/' || media.hash || '.webp')
          and not exists (select 1 from schedule_releases r
                           where r.number = (select max(number) from schedule_releases) and instr(r.snapshot, media.hash) > 0)`,
    )
    .run(now - graceMs).changes;
}
