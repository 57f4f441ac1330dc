import { describe, expect, it } from "vitest";
import type { Edge } from "../lib/security/proxy.ts";
import { demoMailboxPage, isLocalHost, mailboxPageEnabled, mailboxPageNotice } from "./mailbox-page.ts";

const direct = (peer: string): Edge => ({ client: peer, peer, protocol: "http", host: null, proxied: false });
const on = { MAILBOX_PAGE: "on" } as NodeJS.ProcessEnv;
const host = (value: string) => new Headers({ host: value });

describe("mailboxPageEnabled", () => {
  it("shows the page to a direct visitor on this machine, when asked for", () => {
    expect(mailboxPageEnabled(direct("127.0.0.1"), host("localhost:4321"), on)).toBe(true);
    expect(mailboxPageEnabled(direct("::1"), host("[::1]:4321"), on)).toBe(true);
    expect(mailboxPageEnabled(direct("::ffff:127.0.0.1"), host("127.0.0.1:4321"), on)).toBe(true);
  });

  it("is off unless MAILBOX_PAGE=on, and in production or with Resend whatever it says", () => {
    const local = [direct("127.0.0.1"), host("localhost:4321")] as const;
    for (const env of [{}, { MAILBOX_PAGE: "off" }, { MAILBOX_PAGE: "yes" }, { MAILBOX_PAGE: "ON" }]) {
      expect(mailboxPageEnabled(...local, env as NodeJS.ProcessEnv), JSON.stringify(env)).toBe(false);
    }
    expect(mailboxPageEnabled(...local, { ...on, NODE_ENV: "production" })).toBe(false);
    expect(mailboxPageEnabled(...local, { ...on, RESEND_API_KEY: "re_x" })).toBe(false);
  });

  it("never shows it through a proxy, to another machine, or under another name", () => {
    expect(mailboxPageEnabled({ ...direct("127.0.0.1"), proxied: true }, host("localhost:4321"), on)).toBe(false);
    expect(mailboxPageEnabled(direct("192.0.2.7"), host("localhost:4321"), on)).toBe(false);
    expect(mailboxPageEnabled(direct("127.0.0.1"), host("forum.example.org"), on)).toBe(false);
    expect(mailboxPageEnabled(direct("127.0.0.1"), host("127.0.0.1.nip.io"), on)).toBe(false);
    expect(mailboxPageEnabled(direct("127.0.0.1"), new Headers(), on)).toBe(false);
  });
});

describe("isLocalHost", () => {
  it("knows the names of this machine", () => {
    for (const name of ["localhost", "LOCALHOST:80", "app.localhost:4321", "127.0.0.1", "127.1.2.3:8", "[::1]", "[::1]:4321", "::1"]) {
      expect(isLocalHost(name), name).toBe(true);
    }
    for (const name of ["", "localhost.example.org", "10.0.0.1", "[::2]:80", "evil.example:localhost"])
      expect(isLocalHost(name), name).toBe(false);
  });
});

describe("the demo (npm start)", () => {
  it("turns the page on while listening on this machine only, with no proxy and no other wish", () => {
    for (const [env, expected] of [
      [{}, "on"],
      [{ HOST: "127.0.0.1" }, "on"],
      [{ HOST: "::1" }, "on"],
      [{ HOST: "0.0.0.0" }, undefined],
      [{ HOST: "forum.example.org" }, undefined],
      [{ TRUST_PROXY: "loopback" }, undefined],
      [{ MAILBOX_PAGE: "off" }, "off"],
    ] as [NodeJS.ProcessEnv, string | undefined][]) {
      const copy = { ...env };
      demoMailboxPage(copy);
      expect(copy.MAILBOX_PAGE, JSON.stringify(env)).toBe(expected);
    }
  });

  it("says at start where the page is, or why a setting was not understood", () => {
    expect(mailboxPageNotice("localhost", 4321, on)).toBe(
      "Local mailbox: http://localhost:4321/dev/mailbox (visitors on this machine only, never through a proxy).",
    );
    expect(mailboxPageNotice("::1", 4321, on)).toContain("http://[::1]:4321/dev/mailbox");
    expect(mailboxPageNotice("localhost", 4321, { MAILBOX_PAGE: "true" } as NodeJS.ProcessEnv)).toBe(
      "MAILBOX_PAGE=true is neither on nor off: the mailbox page stays off.",
    );
    expect(mailboxPageNotice("localhost", 4321, { ...on, NODE_ENV: "production" })).toBeUndefined();
  });
});
