import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { outbox, signInChallenges, users } from "../../../db/schema/index.ts";
import { hashSecret } from "../security/secrets.ts";
import {
  createSignInChallenge,
  MAX_CHALLENGES_PER_WINDOW,
  MAX_CODE_ATTEMPTS,
  MAX_CODE_FAILURES_PER_DAY,
  purgeSignInChallenges,
  requestSignIn,
  verifySignInCode,
  verifySignInLink,
} from "./sign-in.ts";
import { SIGN_IN_MINUTES, signInCode, signInLinkToken, signInNextOf, signInPath, signInUrl } from "./sign-in-links.ts";
import { addUser, findOrCreateUser, findUserByEmail, revokeUser } from "./users.ts";

const T0 = Date.UTC(2013, 5, 1, 9);
const MIN = 60_000;

let dir: string;
let db: Db;
let appKey: Buffer;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "forum-signin-"));
  db = openDatabase(join(dir, "forum.db"));
  appKey = randomBytes(32);
});
afterEach(() => {
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
});

const mailTo = (recipient: string) =>
  db
    .select()
    .from(outbox)
    .where(eq(outbox.recipient, recipient))
    .orderBy(sql`rowid`)
    .all();
const challengesOf = (email: string) =>
  db
    .select()
    .from(signInChallenges)
    .where(eq(signInChallenges.email, email))
    .orderBy(sql`rowid`)
    .all();

/** Requests a sign-in and returns the link token and code of the message it queued. */
function request(email: string, now = T0, language: "en" | "fr" = "en") {
  requestSignIn(db, appKey, email, { language, now });
  const message = mailTo(email.trim().toLowerCase()).at(-1)!;
  const nonce = String(message.payload.nonce);
  return { token: signInLinkToken(appKey, nonce), code: signInCode(appKey, nonce), message };
}

/** A 6-digit code other than `code`. */
const wrong = (code: string, n = 1) => String((Number(code) + n) % 1_000_000).padStart(6, "0");

describe("asking for a sign-in", () => {
  it("answers, stores and sends the same whether or not the address has an account", () => {
    findOrCreateUser(db, "known@example.org");
    const answers = [
      requestSignIn(db, appKey, "known@example.org", { language: "en", now: T0 }),
      requestSignIn(db, appKey, "unknown@example.org", { language: "en", now: T0 }),
    ];
    expect(answers).toEqual([undefined, undefined]);
    const shape = (email: string) => {
      const [message, ...more] = mailTo(email);
      const [challenge, ...others] = challengesOf(email);
      expect(more).toEqual([]);
      expect(others).toEqual([]);
      return {
        message: {
          template: message!.template,
          language: message!.language,
          state: message!.state,
          payloadKeys: Object.keys(message!.payload),
        },
        challenge: {
          attempts: challenge!.attempts,
          usedAt: challenge!.usedAt,
          expiresAt: challenge!.expiresAt,
          createdAt: challenge!.createdAt,
        },
      };
    };
    const known = shape("known@example.org");
    expect(known).toEqual(shape("unknown@example.org"));
    expect(known).toEqual({
      message: { template: "auth.sign_in", language: "en", state: "pending", payloadKeys: ["nonce"] },
      challenge: { attempts: 0, usedAt: null, expiresAt: new Date(T0 + SIGN_IN_MINUTES * MIN), createdAt: new Date(T0) },
    });
    // Asking creates no account: signing in does.
    expect(findUserByEmail(db, "unknown@example.org")).toBeUndefined();
  });

  it("stores only hashes, and queues only the nonce: neither the link nor the code is in the database", () => {
    const { token, code, message } = request("Ada@Example.org ", T0, "fr");
    expect(message).toMatchObject({ recipient: "ada@example.org", language: "fr" });
    expect(SIGN_IN_MINUTES).toBe(15);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(code).toMatch(/^\d{6}$/);
    const [challenge] = challengesOf("ada@example.org");
    expect(challenge!.id).toBe(hashSecret(token));
    expect(challenge!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(challenge!.codeHash).not.toBe(hashSecret(code));
    const dump = JSON.stringify([
      db.$client.prepare("select * from sign_in_challenges").all(),
      db.$client.prepare("select * from outbox").all(),
    ]);
    expect(dump).not.toContain(token);
    expect(dump).not.toMatch(new RegExp(`[^0-9a-f]${code}[^0-9a-f]`));
  });

  it("sends nothing to a revoked account, nor to an invalid address, and says the same", () => {
    const revoked = addUser(db, { email: "gone@example.org", roles: ["organizer"] });
    revokeUser(db, revoked.id, T0);
    expect(requestSignIn(db, appKey, "gone@example.org", { language: "en", now: T0 })).toBeUndefined();
    expect(requestSignIn(db, appKey, "not an address", { language: "en", now: T0 })).toBeUndefined();
    expect(db.select().from(outbox).all()).toEqual([]);
    // The revoked account gets a challenge nobody can answer, so that its code page fails like any
    // other address's (wrong code, then too many attempts) and closed accounts cannot be told apart.
    expect(
      db
        .select()
        .from(signInChallenges)
        .all()
        .map((c) => c.email),
    ).toEqual(["gone@example.org"]);
    for (let i = 0; i < MAX_CODE_ATTEMPTS - 1; i++)
      expect(verifySignInCode(db, "gone@example.org", "000000", T0)).toEqual({ ok: false, reason: "unknown" });
    expect(verifySignInCode(db, "gone@example.org", "000000", T0)).toEqual({ ok: false, reason: "too_many_attempts" });
  });

  it(`sends at most ${MAX_CHALLENGES_PER_WINDOW} messages to one address per ${SIGN_IN_MINUTES} minutes`, () => {
    for (let i = 0; i < MAX_CHALLENGES_PER_WINDOW + 2; i++)
      requestSignIn(db, appKey, "ada@example.org", { language: "en", now: T0 + i * MIN });
    expect(mailTo("ada@example.org")).toHaveLength(MAX_CHALLENGES_PER_WINDOW);
    expect(challengesOf("ada@example.org")).toHaveLength(MAX_CHALLENGES_PER_WINDOW);
    // Another address is not affected; and once the first request is out of the window, one more goes.
    requestSignIn(db, appKey, "bob@example.org", { language: "en", now: T0 });
    expect(mailTo("bob@example.org")).toHaveLength(1);
    requestSignIn(db, appKey, "ada@example.org", { language: "en", now: T0 + SIGN_IN_MINUTES * MIN });
    expect(mailTo("ada@example.org")).toHaveLength(MAX_CHALLENGES_PER_WINDOW + 1);
  });

  it("can make a challenge without any message (for npm run user:add)", () => {
    const { linkToken, code, expiresAt } = createSignInChallenge(db, appKey, "Org@Example.org", T0);
    expect(db.select().from(outbox).all()).toEqual([]);
    expect(expiresAt.getTime()).toBe(T0 + SIGN_IN_MINUTES * MIN);
    expect(challengesOf("org@example.org")[0]!.id).toBe(hashSecret(linkToken));
    expect(verifySignInCode(db, "org@example.org", code, T0 + MIN)).toMatchObject({ ok: true });
    expect(() => createSignInChallenge(db, appKey, "nope", T0)).toThrow("Invalid e-mail address");
  });
});

describe("the link", () => {
  it("signs in once, creating the plain account of a new address in the page's language", () => {
    const { token } = request("new@example.org");
    const result = verifySignInLink(db, token, T0 + MIN, { language: "fr" });
    expect(result).toMatchObject({ ok: true, user: { email: "new@example.org", roles: [], language: "fr" } });
    expect(verifySignInLink(db, token, T0 + 2 * MIN)).toEqual({ ok: false, reason: "used" });
    expect(db.select().from(users).all()).toHaveLength(1);
  });

  it("signs in to the existing account of the address", () => {
    const organizer = addUser(db, { email: "org@example.org", roles: ["organizer"] });
    const { token } = request("ORG@example.org");
    expect(verifySignInLink(db, token, T0 + MIN)).toMatchObject({ ok: true, user: { id: organizer.id, roles: ["organizer"] } });
  });

  it(`expires after ${SIGN_IN_MINUTES} minutes`, () => {
    const first = request("ada@example.org", T0);
    expect(verifySignInLink(db, first.token, T0 + SIGN_IN_MINUTES * MIN)).toEqual({ ok: false, reason: "expired" });
    const second = request("ada@example.org", T0);
    expect(verifySignInLink(db, second.token, T0 + SIGN_IN_MINUTES * MIN - 1)).toMatchObject({ ok: true });
  });

  it("is unknown when forged, malformed or made with another key", () => {
    const { message } = request("ada@example.org");
    const otherKey = signInLinkToken(randomBytes(32), String(message.payload.nonce));
    for (const token of [otherKey, randomBytes(32).toString("base64url"), "", "short", "a".repeat(44), `${otherKey}/..`]) {
      expect(verifySignInLink(db, token, T0 + MIN)).toEqual({ ok: false, reason: "unknown" });
    }
    expect(findUserByEmail(db, "ada@example.org")).toBeUndefined();
  });

  it("is refused to an account revoked after it was sent", () => {
    const user = findOrCreateUser(db, "ada@example.org");
    const { token, code } = request("ada@example.org");
    revokeUser(db, user.id, T0 + MIN);
    expect(verifySignInLink(db, token, T0 + 2 * MIN)).toEqual({ ok: false, reason: "revoked" });
    expect(verifySignInCode(db, "ada@example.org", code, T0 + 2 * MIN)).toEqual({ ok: false, reason: "used" });
  });

  it("has its path and URL in English and French", () => {
    expect(signInPath("en", "abc_-1")).toBe("/signin/link/abc_-1");
    expect(signInPath("fr", "abc_-1")).toBe("/fr/signin/link/abc_-1");
    expect(signInUrl("https://forum.example.org", "fr", "a/b")).toBe("https://forum.example.org/fr/signin/link/a%2Fb");
  });
});

describe("the code", () => {
  it("signs in with the address (any case) and the code (spaces allowed), once", () => {
    const { code } = request("ada@example.org");
    expect(verifySignInCode(db, " ADA@example.org", `${code.slice(0, 3)} ${code.slice(3)}`, T0 + MIN)).toMatchObject({
      ok: true,
      user: { email: "ada@example.org" },
    });
    expect(verifySignInCode(db, "ada@example.org", code, T0 + 2 * MIN)).toEqual({ ok: false, reason: "used" });
  });

  it("is one challenge with its link: using either uses both", () => {
    const a = request("ada@example.org");
    expect(verifySignInLink(db, a.token, T0 + MIN)).toMatchObject({ ok: true });
    expect(verifySignInCode(db, "ada@example.org", a.code, T0 + MIN)).toEqual({ ok: false, reason: "used" });

    const b = request("bob@example.org");
    expect(verifySignInCode(db, "bob@example.org", b.code, T0 + MIN)).toMatchObject({ ok: true });
    expect(verifySignInLink(db, b.token, T0 + MIN)).toEqual({ ok: false, reason: "used" });
  });

  it(`expires after ${SIGN_IN_MINUTES} minutes`, () => {
    const { code } = request("ada@example.org");
    expect(verifySignInCode(db, "ada@example.org", code, T0 + SIGN_IN_MINUTES * MIN)).toEqual({ ok: false, reason: "expired" });
  });

  it(`counts every wrong code and burns the challenge, link included, at the ${MAX_CODE_ATTEMPTS}th`, () => {
    const { token, code } = request("ada@example.org");
    expect(MAX_CODE_ATTEMPTS).toBe(5);
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i++) {
      expect(verifySignInCode(db, "ada@example.org", wrong(code, i), T0 + MIN)).toEqual({ ok: false, reason: "unknown" });
      expect(challengesOf("ada@example.org")[0]!.attempts).toBe(i);
    }
    // A malformed code counts as well.
    expect(verifySignInCode(db, "ada@example.org", "12345x", T0 + MIN)).toEqual({ ok: false, reason: "too_many_attempts" });
    expect(verifySignInCode(db, "ada@example.org", code, T0 + MIN)).toEqual({ ok: false, reason: "too_many_attempts" });
    expect(verifySignInLink(db, token, T0 + MIN)).toEqual({ ok: false, reason: "used" });
    expect(findUserByEmail(db, "ada@example.org")).toBeUndefined();
  });

  it("still works after fewer wrong attempts than the limit", () => {
    const { code } = request("ada@example.org");
    for (let i = 1; i < MAX_CODE_ATTEMPTS; i++) verifySignInCode(db, "ada@example.org", wrong(code, i), T0 + MIN);
    expect(verifySignInCode(db, "ada@example.org", code, T0 + MIN)).toMatchObject({ ok: true });
  });

  it(`is refused for a day after ${MAX_CODE_FAILURES_PER_DAY} wrong codes to one address, while the link still works`, () => {
    expect(MAX_CODE_FAILURES_PER_DAY).toBe(4 * MAX_CODE_ATTEMPTS);
    for (let i = 0; i < 4; i++) {
      const { code } = request("ada@example.org", T0 + i * MIN);
      for (let n = 1; n <= MAX_CODE_ATTEMPTS; n++) verifySignInCode(db, "ada@example.org", wrong(code, n), T0 + i * MIN);
    }
    const later = T0 + 20 * MIN;
    const fifth = request("ada@example.org", later);
    expect(verifySignInCode(db, "ada@example.org", fifth.code, later + MIN)).toEqual({ ok: false, reason: "too_many_attempts" });
    expect(challengesOf("ada@example.org").at(-1)!.attempts).toBe(0);
    expect(verifySignInLink(db, fifth.token, later + MIN)).toMatchObject({ ok: true });
    // A day after the first failures, half of them have left the count: codes work again.
    const nextDay = T0 + 86_400_000 + MIN;
    const sixth = request("ada@example.org", nextDay);
    expect(verifySignInCode(db, "ada@example.org", sixth.code, nextDay + MIN)).toMatchObject({ ok: true });
  });

  it("is checked against the latest challenge of the address only; a sign-in uses every open challenge", () => {
    const first = request("ada@example.org", T0);
    const second = request("ada@example.org", T0);
    if (first.code !== second.code) {
      expect(verifySignInCode(db, "ada@example.org", first.code, T0 + MIN)).toEqual({ ok: false, reason: "unknown" });
    }
    expect(verifySignInCode(db, "ada@example.org", second.code, T0 + MIN)).toMatchObject({ ok: true });
    expect(verifySignInLink(db, first.token, T0 + MIN)).toEqual({ ok: false, reason: "used" });
  });

  it("is unknown for an address that asked nothing, or for a code made with another key", () => {
    expect(verifySignInCode(db, "nobody@example.org", "123456", T0)).toEqual({ ok: false, reason: "unknown" });
    expect(verifySignInCode(db, "not an address", "123456", T0)).toEqual({ ok: false, reason: "unknown" });
    const { code, message } = request("ada@example.org");
    const forged = signInCode(randomBytes(32), String(message.payload.nonce));
    if (forged !== code) expect(verifySignInCode(db, "ada@example.org", forged, T0 + MIN)).toEqual({ ok: false, reason: "unknown" });
  });

  it("is six uniform digits, leading zeros kept", () => {
    const codes = Array.from({ length: 3000 }, (_, i) => signInCode(appKey, `nonce-${i}`));
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    const firstDigits = new Map<string, number>();
    for (const code of codes) firstDigits.set(code[0]!, (firstDigits.get(code[0]!) ?? 0) + 1);
    // 300 expected per digit; the bounds are more than 6 standard deviations away.
    expect(firstDigits.size).toBe(10);
    for (const count of firstDigits.values()) expect(count).toBeGreaterThan(200);
    for (const count of firstDigits.values()) expect(count).toBeLessThan(400);
  });
});

describe("where the link leads", () => {
  it("keeps `next` sealed in the outbox, bound to its challenge, and puts it on the link", async () => {
    const next = "/cfp/invitation/AbC_invitation-token-43-characters-long_xyz";
    requestSignIn(db, appKey, "ada@example.org", { language: "fr", next, now: T0 });
    const message = mailTo("ada@example.org").at(-1)!;
    const nonce = String(message.payload.nonce);
    // The payload holds no secret: the invitation's token is not in it in the clear.
    expect(JSON.stringify(message.payload)).not.toContain("invitation-token");
    expect(signInNextOf(appKey, nonce, String(message.payload.next))).toBe(next);
    // Another key, or another challenge's nonce, reads nothing.
    expect(signInNextOf(randomBytes(32), nonce, String(message.payload.next))).toBeUndefined();
    expect(signInNextOf(appKey, "another-nonce", String(message.payload.next))).toBeUndefined();
    expect(signInPath("fr", "tok", next)).toBe(`/fr/signin/link/tok?next=${encodeURIComponent(next)}`);
  });

  it("leaves the account page and hostile values off the link", () => {
    for (const next of [undefined, "/account", "/", "//evil.example", "https://evil.example/x", "/\\evil.example", "/.//evil.example"]) {
      expect(signInPath("en", "tok", next), String(next)).toBe("/signin/link/tok");
      requestSignIn(db, appKey, `n${Math.random()}@example.org`, { language: "en", next, now: T0 });
    }
    const payloads = db.select({ payload: outbox.payload }).from(outbox).all();
    expect(payloads.every((p) => !("next" in p.payload))).toBe(true);
  });
});

describe("housekeeping", () => {
  it("deletes challenges a day after they expired", () => {
    request("ada@example.org", T0);
    request("bob@example.org", T0 + 2 * 86_400_000);
    expect(purgeSignInChallenges(db, T0 + SIGN_IN_MINUTES * MIN + 86_400_000 + 1)).toBe(1);
    expect(
      db
        .select()
        .from(signInChallenges)
        .all()
        .map((c) => c.email),
    ).toEqual(["bob@example.org"]);
  });
});
