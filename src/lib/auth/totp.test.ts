import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP, generateTOTP } from "@oslojs/otp";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { authSessions, recoveryCodes, users } from "../../../db/schema/auth.ts";
import { seal } from "./sealed.ts";
import { createSession } from "./sessions.ts";
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  generateRecoveryCodes,
  hasTotp,
  remainingRecoveryCodes,
  resetTotp,
  resumeTotpEnrolment,
  totpStep,
  useRecoveryCode,
  verifyTotp,
} from "./totp.ts";
import { addUser, type User } from "./users.ts";

const T0 = Date.UTC(2013, 5, 1, 9, 0, 10);
const STEP = 30_000;

let dir: string;
let db: Db;
let appKey: Buffer;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-totp-"));
  db = openDatabase(join(dir, "forum.db"));
  appKey = randomBytes(32);
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const userRow = (id: number): User => db.select().from(users).where(eq(users.id, id)).get()!;
/** The raw key of an enrolment, read back from its otpauth URI as an authenticator app would. */
const keyOf = (uri: string) => decodeBase32IgnorePadding(new URL(uri).searchParams.get("secret")!);
/** The code an authenticator shows at `now`, computed by @oslojs/otp. */
const codeAt = (key: Uint8Array, now: number) => generateHOTP(key, BigInt(Math.floor(now / STEP)), 6);

/** An organizer enrolled at T0; returns the account, its key and its recovery codes. */
function enrolled() {
  const user = addUser(db, { email: "org@example.org", roles: ["organizer"] });
  // The RFC 6238 test key, not a random one: with a random key, two steps of the window share a
  // code about once in a million runs, and the replay assertions below would then fail by chance.
  const key = new Uint8Array(Buffer.from("12345678901234567890", "ascii"));
  const enrolment = { sealedKey: seal(appKey, Buffer.from(key).toString("hex"), "totp-key") };
  const result = confirmTotpEnrolment(db, appKey, user.id, enrolment.sealedKey, codeAt(key, T0), T0);
  if (!result.ok) throw new Error("enrolment failed");
  return { user: userRow(user.id), key, codes: result.recoveryCodes, sealedKey: enrolment.sealedKey };
}

describe("enrolment", () => {
  it("gives a sealed 20-byte key, its otpauth URI for authenticator apps, a QR code and the key to type", async () => {
    const enrolment = beginTotpEnrolment(appKey, { email: "org@example.org" }, "Safer World Forum");
    const uri = new URL(enrolment.uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(enrolment.uri.startsWith("otpauth://totp/Safer%20World%20Forum:org%40example.org?")).toBe(true);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      issuer: "Safer World Forum",
      algorithm: "SHA1",
      period: "30",
      digits: "6",
    });
    const key = keyOf(enrolment.uri);
    expect(key).toHaveLength(20);
    expect(enrolment.manualKey.replace(/ /g, "")).toBe(uri.searchParams.get("secret"));
    expect(enrolment.sealedKey).not.toContain(Buffer.from(key).toString("hex"));
    expect(enrolment.sealedKey).not.toContain(uri.searchParams.get("secret")!);
    expect(await enrolment.qrSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(keyOf(beginTotpEnrolment(appKey, { email: "org@example.org" }, "X").uri)).not.toEqual(key);
  });

  it("stores nothing until a right code is given", () => {
    const user = addUser(db, { email: "org@example.org", roles: ["organizer"] });
    const enrolment = beginTotpEnrolment(appKey, user, "Forum");
    const key = keyOf(enrolment.uri);
    const right = codeAt(key, T0);
    const wrongCode = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    expect(confirmTotpEnrolment(db, appKey, user.id, enrolment.sealedKey, wrongCode, T0)).toEqual({ ok: false });
    expect(confirmTotpEnrolment(db, appKey, user.id, enrolment.sealedKey, "abcdef", T0)).toEqual({ ok: false });
    // A key sealed under another application key, or altered, is refused even with its right code.
    expect(confirmTotpEnrolment(db, randomBytes(32), user.id, enrolment.sealedKey, right, T0)).toEqual({ ok: false });
    expect(confirmTotpEnrolment(db, appKey, user.id, `${enrolment.sealedKey}A`, right, T0)).toEqual({ ok: false });
    // A value sealed for another purpose does not pass for a TOTP key.
    expect(confirmTotpEnrolment(db, appKey, user.id, seal(appKey, Buffer.from(key).toString("hex")), right, T0)).toEqual({ ok: false });
    expect(userRow(user.id)).toMatchObject({ totpKeySealed: null, totpEnabledAt: null, totpLastStep: null });
    expect(hasTotp(userRow(user.id))).toBe(false);
    expect(db.select().from(recoveryCodes).all()).toEqual([]);
  });

  it("accepts the code an authenticator shows now (generateTOTP), and stores the sealed key and ten hashed recovery codes", () => {
    const user = addUser(db, { email: "org@example.org", roles: ["organizer"] });
    const enrolment = beginTotpEnrolment(appKey, user, "Forum");
    const now = Date.now();
    const result = confirmTotpEnrolment(db, appKey, user.id, enrolment.sealedKey, generateTOTP(keyOf(enrolment.uri), 30, 6), now);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.recoveryCodes).toHaveLength(10);
    expect(new Set(result.recoveryCodes).size).toBe(10);
    for (const code of result.recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}$/);
    const row = userRow(user.id);
    expect(row.totpKeySealed).toBe(enrolment.sealedKey);
    expect(row.totpEnabledAt?.getTime()).toBe(now);
    expect(Math.abs(row.totpLastStep! - totpStep(now))).toBeLessThanOrEqual(1);
    expect(hasTotp(row)).toBe(true);
    const stored = db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id)).all();
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(db.$client.prepare("select * from recovery_codes").all());
    for (const code of result.recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace(/-/g, ""));
    }
    for (const { codeHash } of stored) expect(codeHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("never enrols over an enrolled key; after a reset, replaces the key and the recovery codes", () => {
    const first = enrolled();
    const again = beginTotpEnrolment(appKey, first.user, "Forum");
    const key = keyOf(again.uri);
    const later = T0 + 10 * STEP;
    // A second enrolment (a stale page, a race, a leftover session) finds the factor already set.
    expect(confirmTotpEnrolment(db, appKey, first.user.id, again.sealedKey, codeAt(key, later), later).ok).toBe(false);
    expect(verifyTotp(db, appKey, userRow(first.user.id), codeAt(first.key, later), later)).toBe(true);
    resetTotp(db, first.user.id, later);
    const result = confirmTotpEnrolment(db, appKey, first.user.id, again.sealedKey, codeAt(key, later + 2 * STEP), later + 2 * STEP);
    expect(result.ok).toBe(true);
    expect(useRecoveryCode(db, first.user.id, first.codes[0]!)).toBe(false);
    expect(remainingRecoveryCodes(db, first.user.id)).toBe(10);
    // The old authenticator no longer works.
    expect(verifyTotp(db, appKey, userRow(first.user.id), codeAt(first.key, later + 4 * STEP), later + 4 * STEP)).toBe(false);
    expect(verifyTotp(db, appKey, userRow(first.user.id), codeAt(key, later + 4 * STEP), later + 4 * STEP)).toBe(true);
  });

  it("generates recovery codes of 50 random bits, never repeated", () => {
    const codes = Array.from({ length: 100 }, () => generateRecoveryCodes()).flat();
    expect(codes).toHaveLength(1000);
    expect(new Set(codes).size).toBe(1000);
  });
});

describe("checking a code", () => {
  it("accepts the current step and one either side, nothing further", () => {
    const { user, key } = enrolled();
    const now = T0 + 100 * STEP;
    const fresh = () => userRow(user.id);
    expect(verifyTotp(db, appKey, fresh(), codeAt(key, now - 2 * STEP), now)).toBe(false);
    expect(verifyTotp(db, appKey, fresh(), codeAt(key, now + 2 * STEP), now)).toBe(false);
    expect(verifyTotp(db, appKey, fresh(), codeAt(key, now - STEP), now)).toBe(true);
    expect(verifyTotp(db, appKey, fresh(), codeAt(key, now), now)).toBe(true);
    expect(verifyTotp(db, appKey, fresh(), codeAt(key, now + STEP), now)).toBe(true);
    expect(fresh().totpLastStep).toBe(totpStep(now) + 1);
  });

  it("refuses a code used before, and any code of an earlier step than the last accepted", () => {
    const { user, key } = enrolled();
    // The code given at enrolment cannot be used again to sign in.
    expect(verifyTotp(db, appKey, userRow(user.id), codeAt(key, T0), T0 + 1000)).toBe(false);
    const now = T0 + 50 * STEP;
    expect(verifyTotp(db, appKey, userRow(user.id), codeAt(key, now), now)).toBe(true);
    expect(verifyTotp(db, appKey, userRow(user.id), codeAt(key, now), now + 5_000)).toBe(false);
    expect(verifyTotp(db, appKey, userRow(user.id), codeAt(key, now - STEP), now)).toBe(false);
    // A stale copy of the account (read before the code was accepted) does not let it through twice.
    const stale = userRow(user.id);
    expect(verifyTotp(db, appKey, stale, codeAt(key, now + STEP), now + STEP)).toBe(true);
    expect(verifyTotp(db, appKey, stale, codeAt(key, now + STEP), now + STEP)).toBe(false);
  });

  it("refuses malformed codes and accounts without a second factor", () => {
    const { user, key } = enrolled();
    const now = T0 + 20 * STEP;
    for (const bad of ["", "12345", "1234567", "abcdef", `${codeAt(key, now)}0`])
      expect(verifyTotp(db, appKey, userRow(user.id), bad, now)).toBe(false);
    expect(verifyTotp(db, appKey, userRow(user.id), ` ${codeAt(key, now).slice(0, 3)} ${codeAt(key, now).slice(3)} `, now)).toBe(true);
    const plain = addUser(db, { email: "plain@example.org", roles: [] });
    expect(verifyTotp(db, appKey, plain, "123456", now)).toBe(false);
    expect(verifyTotp(db, randomBytes(32), userRow(user.id), codeAt(key, now + STEP), now + STEP)).toBe(false);
  });
});

describe("recovery codes", () => {
  it("work once each, whatever the case, spaces and hyphens, and only for their account", () => {
    const { user, codes } = enrolled();
    const other = addUser(db, { email: "other@example.org", roles: ["reviewer"] });
    expect(useRecoveryCode(db, other.id, codes[0]!)).toBe(false);
    expect(useRecoveryCode(db, user.id, codes[0]!)).toBe(true);
    expect(useRecoveryCode(db, user.id, codes[0]!)).toBe(false);
    expect(useRecoveryCode(db, user.id, ` ${codes[1]!.toUpperCase().replace(/-/g, " ")} `)).toBe(true);
    expect(useRecoveryCode(db, user.id, codes[2]!.replace(/-/g, ""))).toBe(true);
    expect(useRecoveryCode(db, user.id, codes[2]!)).toBe(false);
    expect(useRecoveryCode(db, user.id, "aaaa-aaaa-aa")).toBe(false);
    expect(useRecoveryCode(db, user.id, "")).toBe(false);
    expect(remainingRecoveryCodes(db, user.id)).toBe(7);
  });
});

describe("resetting the second factor", () => {
  it("removes the key and the recovery codes and ends the account's sessions", () => {
    const { user, key, codes } = enrolled();
    const other = addUser(db, { email: "other@example.org", roles: ["reviewer"] });
    createSession(db, user.id, { now: T0, twoFactorVerified: true });
    createSession(db, other.id, { now: T0 });
    resetTotp(db, user.id, T0 + STEP);
    const row = userRow(user.id);
    expect(row).toMatchObject({ totpKeySealed: null, totpEnabledAt: null, totpLastStep: null });
    expect(hasTotp(row)).toBe(false);
    expect(db.select().from(recoveryCodes).all()).toEqual([]);
    expect(useRecoveryCode(db, user.id, codes[0]!)).toBe(false);
    expect(verifyTotp(db, appKey, row, codeAt(key, T0 + 5 * STEP), T0 + 5 * STEP)).toBe(false);
    expect(
      db
        .select()
        .from(authSessions)
        .all()
        .map((s) => s.userId),
    ).toEqual([other.id]);
  });
});

describe("resuming an enrolment", () => {
  it("gives back the same key from its sealed form, and nothing from a forged one", () => {
    const begun = beginTotpEnrolment(appKey, { email: "a@example.org" }, "Forum");
    const resumed = resumeTotpEnrolment(appKey, { email: "a@example.org" }, "Forum", begun.sealedKey)!;
    expect(resumed.manualKey).toBe(begun.manualKey);
    expect(keyOf(resumed.uri)).toEqual(keyOf(begun.uri));
    expect(resumeTotpEnrolment(appKey, { email: "a@example.org" }, "Forum", "forged")).toBeNull();
    expect(resumeTotpEnrolment(randomBytes(32), { email: "a@example.org" }, "Forum", begun.sealedKey)).toBeNull();
  });
});
