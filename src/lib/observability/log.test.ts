import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrub, serializeError } from "./log.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, destination };
}

describe("scrub", () => {
  it("blanks e-mail addresses, query strings and token-like path segments", () => {
    const token = "Zx8_kT2mQ9vB4nL7pR1sW5yA3cE6gH0jU-dF2iO8qK4";
    expect(scrub(`Could not render /register/manage/${token}?email=a%40b.org`)).toBe(
      "Could not render /register/manage/[redacted]?[redacted]",
    );
    expect(scrub("Invalid `to` field: Ada.Lovelace+forum@example.co.uk refused")).toBe("Invalid `to` field: [email] refused");
    expect(scrub(`/signin/link/${token}`)).toBe("/signin/link/[redacted]");
  });

  it("leaves ordinary text, ids and file paths alone", () => {
    const text =
      "mail 3f2a1b4c-1234-4def-9abc-0123456789ab (registration.confirmed) failed at /tmp/forum-broken-db-fQ06pi/forum.db: why? because";
    expect(scrub(text)).toBe(text);
  });
});

describe("logger", () => {
  it("writes JSON lines with level names, role and pid, at LOG_LEVEL", () => {
    const { lines, destination } = capture();
    const logger = createLogger("http", { level: "warn", destination });
    logger.info("not written");
    logger.warn({ route: "/x" }, "written");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", role: "http", pid: process.pid, route: "/x", msg: "written" });
    expect(typeof lines[0].time).toBe("string");
  });

  it("falls back to info with a warning for an unknown LOG_LEVEL", () => {
    const { lines, destination } = capture();
    const logger = createLogger("http", { level: "loud", destination });
    logger.info("written");
    expect(lines.map((l) => l.level)).toEqual(["warn", "info"]);
    expect(lines[0].msg).toContain("LOG_LEVEL");
  });

  it("serializes an error with its stack, scrubbed, and its cause", () => {
    const error = new Error("no row for bob@example.org", { cause: new Error("inner") });
    const fields = serializeError(error);
    expect(fields.type).toBe("Error");
    expect(fields.message).toBe("no row for [email]");
    expect(String(fields.stack)).toContain("log.test.ts");
    expect(String(fields.stack)).not.toContain("bob@");
    expect((fields.cause as { message: string }).message).toBe("inner");
  });
});
