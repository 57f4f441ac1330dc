import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seal, unseal } from "./sealed.ts";

const key = randomBytes(32);

/** Flips one bit of the decoded part `index` of a sealed value. */
function flip(sealed: string, index: number): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[index]!, "base64url");
  bytes[0]! ^= 1;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("sealed values", () => {
  it("round-trips, with a fresh IV each time, and the plaintext nowhere in the output", () => {
    const plaintext = "JBSWY3DPEHPK3PXP – clé secrète";
    const a = seal(key, plaintext);
    const b = seal(key, plaintext);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain("JBSWY3DP");
    expect(unseal(key, a)).toBe(plaintext);
    expect(unseal(key, b)).toBe(plaintext);
    expect(unseal(key, seal(key, ""))).toBe("");
  });

  it("refuses a value altered in its IV, tag or ciphertext", () => {
    const sealed = seal(key, "a secret to keep");
    for (const index of [0, 1, 2]) expect(() => unseal(key, flip(sealed, index))).toThrow();
    const [iv, tag, ciphertext] = sealed.split(".");
    expect(() => unseal(key, `${iv}.${tag}.${ciphertext}AA`)).toThrow();
  });

  it("refuses another key and another context", () => {
    const sealed = seal(key, "a secret", "totp-key");
    expect(unseal(key, sealed, "totp-key")).toBe("a secret");
    expect(() => unseal(randomBytes(32), sealed, "totp-key")).toThrow("Sealed value failed authentication");
    expect(() => unseal(key, sealed)).toThrow("Sealed value failed authentication");
    expect(() => unseal(key, sealed, "other")).toThrow("Sealed value failed authentication");
  });

  it("refuses malformed input with a clear error", () => {
    for (const bad of ["", "abc", "a.b", "a.b.c.d", "!!!.???.###", seal(key, "x").replace(/^[^.]+/, "AAAA")]) {
      expect(() => unseal(key, bad)).toThrow(/Malformed sealed value|failed authentication/);
    }
    expect(() => unseal(key, undefined as unknown as string)).toThrow("Malformed sealed value");
  });
});
