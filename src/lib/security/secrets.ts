import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * The application key: `APP_SECRET` (at least 32 characters) or, without it, a random key kept in
 * `app-secret` next to the database (created with mode 0600 on first use). Tokens sent to people
 * (manage links, tickets) are derived from it and a stored random nonce, and only their SHA-256
 * hashes are stored: a copy of the database alone reveals no usable link.
 */
export function loadAppKey(databasePath: string = process.env.DATABASE_PATH ?? "data/forum.db"): Buffer {
  const fromEnv = process.env.APP_SECRET;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (fromEnv.length < 32) throw new Error("APP_SECRET must be at least 32 characters long");
    return createHash("sha256").update(fromEnv).digest();
  }
  const file = join(dirname(resolve(databasePath === ":memory:" ? "data/forum.db" : databasePath)), "app-secret");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString("base64url") + "\n", { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  chmodSync(file, 0o600);
  return createHash("sha256").update(readFileSync(file, "utf8").trim()).digest();
}

/** A fresh random nonce (URL-safe). */
export function randomNonce(bytes = 18): string {
  return randomBytes(bytes).toString("base64url");
}

/** The secret for `purpose` derived from the application key and a stored nonce (URL-safe, 256 bits). */
export function deriveSecret(
  key: Buffer,
  purpose: "manage" | "ticket" | "signin" | "signin-code" | "feed" | "cfp-invitation" | "cfp-late" | "cfp-confirm",
  nonce: string,
): string {
  return createHmac("sha256", hmacKey(key)).update(`${purpose}:${nonce}`).digest("base64url");
}

const hmacKeys = new WeakMap<Buffer, KeyObject>();

/**
 * The KeyObject of a key, made once: createHmac with a Buffer builds one at every call, about six
 * times the cost of the HMAC itself (12 µs against 2 µs here), and a registration derives several.
 */
export function hmacKey(key: Buffer): KeyObject {
  let object = hmacKeys.get(key);
  if (!object) hmacKeys.set(key, (object = createSecretKey(key)));
  return object;
}

/** What is stored of a secret: its SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
