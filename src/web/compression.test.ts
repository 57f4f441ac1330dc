import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { compressBody, encodedEtag, isCompressible, matchesAnyEncoding, negotiateEncoding, withVary } from "./compression.ts";

describe("negotiateEncoding", () => {
  it("prefers brotli, then gzip, and honours q=0 and *", () => {
    expect(negotiateEncoding("gzip, deflate, br")).toBe("br");
    expect(negotiateEncoding("gzip")).toBe("gzip");
    expect(negotiateEncoding("br;q=0, gzip;q=0.5")).toBe("gzip");
    expect(negotiateEncoding("*")).toBe("br");
    expect(negotiateEncoding("*;q=0, gzip")).toBe("gzip");
    expect(negotiateEncoding("identity")).toBeNull();
    expect(negotiateEncoding("gzip;q=0")).toBeNull();
    expect(negotiateEncoding("")).toBeNull();
    expect(negotiateEncoding(undefined)).toBeNull();
  });
});

describe("validators per encoding", () => {
  it("suffixes the ETag per encoding and matches any encoding, weak or strong", () => {
    const etag = '"abc"';
    expect(encodedEtag(etag, null)).toBe('"abc"');
    expect(encodedEtag(etag, "br")).toBe('"abc-br"');
    expect(encodedEtag(etag, "gzip")).toBe('"abc-gz"');
    for (const header of ['"abc"', '"abc-br"', 'W/"abc-gz"', '"x", "abc-br"', "*"])
      expect(matchesAnyEncoding(header, etag), header).toBe(true);
    for (const header of ['"abcd"', '"ab"', "", null]) expect(matchesAnyEncoding(header, etag), String(header)).toBe(false);
  });
});

describe("compressBody", () => {
  it("round-trips in both encodings, for answers sent now and answers kept", () => {
    const body = Buffer.from("<p>Programme</p>".repeat(500));
    for (const kept of [false, true]) {
      expect(gunzipSync(compressBody(body, "gzip", kept)).equals(body)).toBe(true);
      expect(brotliDecompressSync(compressBody(body, "br", kept)).equals(body)).toBe(true);
    }
  });

  it("compresses text types only", () => {
    for (const type of [
      "text/html",
      "text/calendar; charset=utf-8",
      "application/json",
      "application/xml",
      "application/rss+xml",
      "image/svg+xml",
    ])
      expect(isCompressible(type), type).toBe(true);
    for (const type of ["image/webp", "application/pdf", "font/woff2", null]) expect(isCompressible(type), String(type)).toBe(false);
  });
});

describe("withVary", () => {
  it("adds a name once", () => {
    expect(withVary("Cookie", "Accept-Encoding")).toBe("Cookie, Accept-Encoding");
    expect(withVary("Cookie, accept-encoding", "Accept-Encoding")).toBe("Cookie, accept-encoding");
    expect(withVary(null, "Accept-Encoding")).toBe("Accept-Encoding");
    expect(withVary("*", "Accept-Encoding")).toBe("*");
  });
});
