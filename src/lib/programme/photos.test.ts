import { crc32 } from "node:zlib";
import { eq } from "drizzle-orm";
import sharp from "sharp";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, media, speakers } from "../../../db/schema/index.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import {
  findMedia,
  MAX_PHOTO_BYTES,
  processPhoto,
  purgeUnusedMedia,
  setSpeakerPhoto,
  sniffImageType,
  UNUSED_MEDIA_GRACE_MS,
} from "./photos.ts";
import { publishRelease } from "./releases.ts";

const actor = { id: 1, email: "organizer@example.org" };

/** A photo as a phone takes it: JPEG, EXIF with camera and GPS position, rotated by its orientation tag. */
export async function phonePhoto(width = 800, height = 600): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 60, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: "PhoneMaker", Model: "Secret Model 7" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "45/1 45/1 0/1", GPSLongitudeRef: "E", GPSLongitude: "4/1 50/1 0/1" },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** Whether an EXIF block has a GPS directory (tag 0x8825, either byte order). */
function hasGpsIfd(exif: Buffer): boolean {
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}

/** A PNG whose header claims `width` x `height` pixels, with almost no data behind it. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("processPhoto", () => {
  it("turns a phone JPEG into a 400x400 WebP without any metadata", async () => {
    const input = await phonePhoto();
    const before = await sharp(input).metadata();
    expect(before.exif?.includes(Buffer.from("PhoneMaker"))).toBe(true);
    expect(hasGpsIfd(before.exif!)).toBe(true);

    const result = await processPhoto(input);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { photo } = result;
    const after = await sharp(photo.bytes).metadata();
    expect([after.format, after.width, after.height]).toEqual(["webp", 400, 400]);
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(photo.bytes.includes(Buffer.from("PhoneMaker"))).toBe(false);
    expect(photo.bytes.includes(Buffer.from("GPS"))).toBe(false);
    expect(photo.bytes.includes(Buffer.from("Exif"))).toBe(false);
    expect(photo.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("applies the EXIF orientation before cropping", async () => {
    // A tall image, left half black and right half white; turned by 90° clockwise, the top is black.
    const half = await sharp({ create: { width: 200, height: 400, channels: 3, background: "#000000" } })
      .composite([{ input: { create: { width: 100, height: 400, channels: 3, background: "#ffffff" } }, left: 100, top: 0 }])
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const result = await processPhoto(half);
    if (!result.ok) throw new Error(result.error);
    const { data } = await sharp(result.photo.bytes).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => data[(y * 400 + x) * 3];
    expect(pixel(350, 20)).toBeLessThan(50);
    expect(pixel(50, 380)).toBeGreaterThan(200);
  });

  it("gives each photo its own answer when several arrive at once and one fails (they queue for decoding)", async () => {
    const good = await phonePhoto(300, 300);
    const results = await Promise.all([processPhoto(good), processPhoto(Buffer.from("not an image")), processPhoto(good)]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toEqual({ ok: false, error: "photo_type" });
  });

  it("accepts PNG and WebP", async () => {
    for (const format of ["png", "webp"] as const) {
      const bytes = await sharp({ create: { width: 300, height: 300, channels: 4, background: "#336699" } })
        [format]()
        .toBuffer();
      expect(sniffImageType(bytes)).toBe(format);
      expect((await processPhoto(bytes)).ok, format).toBe(true);
    }
  });

  it.each([
    ["an empty file", async () => Buffer.alloc(0), "photo_required"],
    ["text", async () => Buffer.from("hello, not an image at all"), "photo_type"],
    ["an SVG", async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="500" height="500"/>'), "photo_type"],
    [
      "a GIF",
      async () =>
        sharp({ create: { width: 300, height: 300, channels: 3, background: "#000" } })
          .gif()
          .toBuffer(),
      "photo_type",
    ],
    [
      "a file over the size limit",
      async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(MAX_PHOTO_BYTES)]),
      "photo_too_large",
    ],
    ["a truncated JPEG", async () => (await phonePhoto()).subarray(0, 400), "photo_unreadable"],
    [
      "a tiny image",
      async () =>
        sharp({ create: { width: 40, height: 40, channels: 3, background: "#000" } })
          .png()
          .toBuffer(),
      "photo_too_small",
    ],
    ["a decompression bomb (huge dimensions, small file)", async () => pngClaiming(60_000, 60_000), "photo_dimensions"],
    ["an image just over the pixel limit", async () => pngClaiming(5_001, 5_000), "photo_dimensions"],
  ])("refuses %s", async (_name, make, error) => {
    expect(await processPhoto(await make())).toEqual({ ok: false, error });
  });
});

describe("setSpeakerPhoto", () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(":memory:");
    seedIfEmpty(db);
  });

  it("stores the bytes once by hash, points the speaker at them, and audits", async () => {
    const speaker = db.select().from(speakers).get()!;
    const result = await processPhoto(await phonePhoto());
    if (!result.ok) throw new Error(result.error);
    const saved = setSpeakerPhoto(db, speaker.slug, result.photo, actor);
    expect(saved).toMatchObject({ ok: true, url: `/media/${result.photo.hash}.webp` });
    expect(db.select().from(speakers).where(eq(speakers.id, speaker.id)).get()!.photo).toBe(`/media/${result.photo.hash}.webp`);
    expect(setSpeakerPhoto(db, speaker.slug, result.photo, actor).ok).toBe(true);
    expect(db.select().from(media).all()).toHaveLength(1);
    expect(findMedia(db, `${result.photo.hash}.webp`)).toEqual({ bytes: result.photo.bytes, contentType: "image/webp" });
    expect(findMedia(db, `${result.photo.hash}.png`)).toBeUndefined();
    expect(findMedia(db, "../../etc/passwd")).toBeUndefined();
    const audit = db.select().from(auditLog).all().at(-1)!;
    expect(audit).toMatchObject({ action: "speaker.photo", subjectId: speaker.slug, after: { photo: `/media/${result.photo.hash}.webp` } });

    expect(setSpeakerPhoto(db, speaker.slug, null, actor)).toMatchObject({ ok: true, url: "" });
    expect(db.select().from(speakers).where(eq(speakers.id, speaker.id)).get()!.photo).toBeNull();
    expect(setSpeakerPhoto(db, "nobody", null, actor)).toEqual({ ok: false, error: "not_found" });
  });

  it("deletes a photo nobody uses any more, once the latest release no longer shows it", async () => {
    const [first, second] = db.select().from(speakers).limit(2).all();
    const photos = [];
    for (const colour of ["#aa0000", "#00aa00"]) {
      const bytes = await sharp({ create: { width: 200, height: 200, channels: 3, background: colour } })
        .png()
        .toBuffer();
      const result = await processPhoto(bytes);
      if (!result.ok) throw new Error(result.error);
      photos.push(result.photo);
    }
    setSpeakerPhoto(db, first.slug, photos[0], actor);
    setSpeakerPhoto(db, second.slug, photos[1], actor);
    publishRelease(db, actor, "Photos");
    const later = Date.now() + UNUSED_MEDIA_GRACE_MS + 1;
    // Replaced: the speaker no longer uses the first photo, but the public release still shows it.
    setSpeakerPhoto(db, first.slug, null, actor);
    expect(purgeUnusedMedia(db, later)).toBe(0);
    // Within the grace period nothing goes, even once unused everywhere.
    publishRelease(db, actor, "Without the first photo");
    expect(purgeUnusedMedia(db, Date.now())).toBe(0);
    expect(purgeUnusedMedia(db, later)).toBe(1);
    expect(db.select({ hash: media.hash }).from(media).all()).toEqual([{ hash: photos[1].hash }]);
  });
});
