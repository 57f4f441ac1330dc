import { randomInt } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { sessionSpeakers, speakers } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import type { DbOrTx } from "../auth/users.ts";
import { editionDays, type Edition } from "../config/edition.ts";
import { slugify } from "../programme/editor.ts";
import { setSpeakerPhoto, type ProcessedPhoto } from "../programme/photos.ts";
import { zonedToInstant } from "../programme/time.ts";
import { frenchSpacing } from "../typography.ts";
import type { ProfileInput } from "./form.ts";

/**
 * A speaker's profile: the `speakers` row kept by an account (`speakers.user_id`). The row is
 * created on the first visit to the call for papers; a programme speaker with the same e-mail and
 * no account yet is claimed instead, so that an invited speaker keeps their page.
 */

export type Speaker = typeof speakers.$inferSelect;
/** Who is acting: a signed-in account. */
export interface Account {
  id: number;
  email: string;
  language?: "en" | "fr";
}

const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
const suffix = () => Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

/** A slug not used by any speaker: the name's words and a random suffix. */
function freshSlug(db: DbOrTx, name: string): string {
  const base = slugify(name, "speaker").slice(0, 50).replace(/-+$/, "");
  for (;;) {
    const slug = `${base}-${suffix()}`;
    if (!db.select({ id: speakers.id }).from(speakers).where(eq(speakers.slug, slug)).get()) return slug;
  }
}

/** The profile of `account`, if it has one. */
export function findProfile(db: DbOrTx, accountId: number): Speaker | undefined {
  return db.select().from(speakers).where(eq(speakers.userId, accountId)).get();
}

/** The profile of `account`, created (or claimed) when it has none. Call inside a transaction to join it. */
export function profileOf(db: DbOrTx, account: Account): Speaker {
  const own = findProfile(db, account.id);
  if (own) return own;
  const unclaimed = db
    .select()
    .from(speakers)
    .where(and(eq(speakers.email, account.email), isNull(speakers.userId)))
    .get();
  if (unclaimed) {
    // A programme speaker with this address and no account becomes this account's profile: recorded.
    db.update(speakers).set({ userId: account.id }).where(eq(speakers.id, unclaimed.id)).run();
    recordAudit(db, {
      actor: account,
      action: "speaker.profile_claimed",
      subjectType: "speaker",
      subjectId: unclaimed.slug,
      after: { userId: account.id },
    });
    return findProfile(db, account.id)!;
  }
  db.insert(speakers)
    .values({ slug: freshSlug(db, ""), name: "", email: account.email, userId: account.id, language: account.language ?? "en" })
    .run();
  return findProfile(db, account.id)!;
}

/** The days (YYYY-MM-DD) an availability covers, among the edition's days. */
export function availableDays(
  edition: Pick<Edition, "startDate" | "endDate" | "timezone">,
  availability: Speaker["availability"],
): string[] {
  return editionDays(edition).filter((day) => {
    const from = zonedToInstant(day, "00:00", edition.timezone).toISOString();
    return availability.some((slot) => slot.from <= from && slot.to > from);
  });
}

/** Whole local days as availability slots (empty: any time). */
export function availabilityOfDays(edition: Pick<Edition, "timezone">, days: readonly string[]): Speaker["availability"] {
  return [...days].sort().map((day) => {
    const next = new Date(`${day}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return {
      from: zonedToInstant(day, "00:00", edition.timezone).toISOString(),
      to: zonedToInstant(next.toISOString().slice(0, 10), "00:00", edition.timezone).toISOString(),
    };
  });
}

/** Saves the profile form. The public slug follows the name until the speaker is on the programme. */
export function updateProfile(
  db: Db,
  edition: Pick<Edition, "timezone">,
  account: Account,
  input: ProfileInput,
  now: number = Date.now(),
): Speaker {
  return db.transaction(
    (tx) => {
      const before = profileOf(tx, account);
      const onProgramme = !!tx
        .select({ id: sessionSpeakers.speakerId })
        .from(sessionSpeakers)
        .where(eq(sessionSpeakers.speakerId, before.id))
        .get();
      const renamed = input.name !== before.name;
      tx.update(speakers)
        .set({
          name: input.name,
          affiliation: input.affiliation,
          country: input.country,
          bioEn: input.bioEn,
          bioFr: frenchSpacing(input.bioFr),
          links: input.links.map((url) => ({ label: new URL(url).hostname.replace(/^www\./, ""), url })),
          language: input.language,
          availability: availabilityOfDays(edition, input.days),
          ...(renamed && !onProgramme ? { slug: freshSlug(tx, input.name) } : {}),
          updatedAt: new Date(now),
        })
        .where(eq(speakers.id, before.id))
        .run();
      recordAudit(tx, { actor: account, action: "cfp.profile_updated", subjectType: "speaker", subjectId: before.id }, now);
      return findProfile(tx, account.id)!;
    },
    { behavior: "immediate" },
  );
}

/** Makes `photo` (processed by photos.ts: re-encoded, no metadata) the account's profile photo, or removes it with null. */
export function setProfilePhoto(db: Db, account: Account, photo: ProcessedPhoto | null, now: number = Date.now()): string | null {
  const profile = db.transaction((tx) => profileOf(tx, account), { behavior: "immediate" });
  const result = setSpeakerPhoto(db, profile.slug, photo, account, now);
  if (!result.ok) throw new Error(`speaker ${profile.slug} vanished`);
  return result.url || null;
}
