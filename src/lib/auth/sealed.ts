import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/**
 * Small secrets kept at rest (the TOTP keys) are sealed with AES-256-GCM under a key derived from
 * the application key for this purpose only, so a copy of the database alone does not reveal them.
 * Format: base64url `iv.tag.ciphertext` (12-byte random IV, 16-byte tag). `context`, when given,
 * is authenticated with the ciphertext (AAD): a value sealed for one use cannot be unsealed for another.
 */

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

function sealKey(appKey: Buffer): Buffer {
  return createHmac("sha256", appKey).update("seal").digest();
}

/** Encrypts and authenticates `plaintext` under the application key. */
export function seal(appKey: Buffer, plaintext: string, context = ""): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", sealKey(appKey), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString("base64url")).join(".");
}

/** Decrypts a value from `seal`; throws when it is malformed, was altered, or was sealed under another key or context. */
export function unseal(appKey: Buffer, sealed: string, context = ""): string {
  const parts = typeof sealed === "string" ? sealed.split(".") : [];
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new Error("Malformed sealed value");
  const [iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, "base64url")) as [Buffer, Buffer, Buffer];
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error("Malformed sealed value");
  const decipher = createDecipheriv("aes-256-gcm", sealKey(appKey), iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("Sealed value failed authentication");
  }
}
