// The site behind a real nginx terminating TLS, configured with docs/deploy/nginx.conf (only its
// names, ports and certificate changed): a visitor registers, confirms the address from the mail,
// signs in by code; an organizer gives the second factor and approves a registration; every answer
// over https is HSTS with Secure cookies; clients on different addresses have their own rate
// limits, which a forged X-Forwarded-For does not lift; the mailbox page never shows through it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { mailboxOf, registrationFields, serverDb } from "../helpers/forms.ts";
import {
  HttpsClient,
  nginxDir,
  nginxSuite,
  removeDir,
  selfSignedCertificate,
  skipNginx,
  startNginx,
  type Nginx,
} from "../helpers/nginx.ts";
import { freePort, httpRequest, startServer, type TestServer } from "../helpers/server.ts";
import { enrolmentOf, serverAccounts, totpOf } from "../helpers/session.ts";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";

/** Replaces `from` (which must occur) by `to` in the operator's configuration. */
function replaceIn(config: string, from: string | RegExp, to: string): string {
  const next = config.replace(from, to);
  if (next === config) throw new Error(`docs/deploy/nginx.conf no longer contains ${String(from)}: update this test with it`);
  return next;
}

/** docs/deploy/nginx.conf with this test's names, ports, upstream and certificate. */
function testConfig({ app, https, http, cert, key }: { app: number; https: number; http: number; cert: string; key: string }) {
  let config = readFileSync("docs/deploy/nginx.conf", "utf8");
  config = replaceIn(config, "server 127.0.0.1:4321;", `server 127.0.0.1:${app};`);
  config = replaceIn(config, /listen 80;\n\s*listen \[::\]:80;/, `listen 127.0.0.1:${http};`);
  config = replaceIn(config, /listen 443 ssl http2;\n\s*listen \[::\]:443 ssl http2;/, `listen 127.0.0.1:${https} ssl http2;`);
  config = replaceIn(config, /server_name forum\.example\.org;/g, "server_name 127.0.0.1;");
  config = replaceIn(config, "return 301 https://$host$request_uri;", `return 301 https://$host:${https}$request_uri;`);
  config = replaceIn(config, "/etc/letsencrypt/live/forum.example.org/fullchain.pem", cert);
  config = replaceIn(config, "/etc/letsencrypt/live/forum.example.org/privkey.pem", key);
  config = replaceIn(config, "/var/cache/nginx/forum", join(dir, "cache"));
  return config;
}

let dir: string;
let server: TestServer;
let nginx: Nginx;
let origin: string;
let httpPort: number;
let ca: Buffer;
let accounts: ReturnType<typeof serverAccounts>;
/** A visitor on its own loopback address: nginx sees 127.0.0.N as a client of its own. */
const client = (n: number) => new HttpsClient(origin, `127.0.0.${n}`, ca);

beforeAll(async () => {
  if (skipNginx) return;
  dir = nginxDir();
  const { cert, key, pem } = selfSignedCertificate(dir);
  ca = pem;
  const httpsPort = await freePort();
  httpPort = await freePort();
  origin = `https://127.0.0.1:${httpsPort}`;
  // nginx reaches the site from 127.0.0.1, and only that address is trusted: the visitors on
  // 127.0.0.2 and up are clients, as anyone on the internet would be. The mailbox page is on, so
  // that only the proxy keeps it hidden.
  server = await startServer({
    SITE_URL: origin,
    TRUST_PROXY: "127.0.0.1",
    NODE_ENV: "",
    MAILBOX_PAGE: "on",
    MAIL_POLL_MS: "50",
    REGISTER_LIMIT_IP: "3/600",
  });
  accounts = serverAccounts(server);
  nginx = await startNginx(dir, testConfig({ app: server.port, https: httpsPort, http: httpPort, cert, key }), [httpsPort, httpPort]);
});

afterAll(async () => {
  accounts?.close();
  await nginx?.stop();
  await server?.stop();
  if (dir) removeDir(dir);
});

/** The newest message of `template` to `email` in the server's mailbox, once the worker wrote it. */
async function mailTo(email: string, template: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const message = (await readMailbox(mailboxOf(server))).find((m) => m.to.includes(email) && m.template === template);
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`no ${template} message to ${email}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statusOf = (email: string) => {
  const data = serverDb(server);
  try {
    return (data.db.prepare("select status from registrations where email = ?").get(email) as { status: string } | undefined)?.status;
  } finally {
    data.close();
  }
};

/** Registers `email` through the proxy and confirms the address by the link in the mail; returns the link's path. */
async function registerAndConfirm(visitor: HttpsClient, email: string, category = "industry"): Promise<string> {
  const posted = await visitor.post("/register?_action=register", registrationFields(email, category));
  expect(posted.status, posted.body).toBe(303);
  const mail = await mailTo(email, "registration.confirm_address");
  // The link names the public origin, never the address nginx used to reach the site.
  const link = new RegExp(`${origin.replaceAll(".", "\\.")}(/register/manage/[A-Za-z0-9_-]{43})`).exec(mail.text);
  expect(link, mail.text).not.toBeNull();
  const path = link![1];
  const page = await visitor.get(path);
  expect(page.status).toBe(200);
  const token = path.split("/").pop()!;
  const confirmed = await visitor.post(`${path}?_action=confirmRegistration`, { token });
  expect(confirmed.status, confirmed.body).toBe(303);
  return path;
}

/** Signs `email` in through the proxy with the code from the mail. */
async function signInByCode(visitor: HttpsClient, email: string, next = "/account") {
  const asked = await visitor.post("/signin?_action=requestSignIn", { email, next });
  expect(asked.status, asked.body).toBe(303);
  expect(asked.headers.location).toMatch(/^\/signin\/code/);
  const mail = await mailTo(email, "auth.sign_in");
  const code = /\b(\d{3} ?\d{3})\b/.exec(mail.text)![1].replace(" ", "");
  const signedIn = await visitor.post(`/signin/code?_action=signInWithCode`, { code, next });
  expect(signedIn.status, signedIn.body).toBe(303);
  expect(visitor.cookies.has("forum_session")).toBe(true);
  return signedIn;
}

describe.skipIf(skipNginx)(nginxSuite("behind nginx terminating TLS"), () => {
  it("a visitor registers, confirms the address from the mail and signs in by code; every cookie is Secure, every answer HSTS", async () => {
    const visitor = client(2);
    const page = await visitor.get("/register");
    expect(page.status).toBe(200);
    expect(page.headers["strict-transport-security"]).toBe("max-age=31536000");

    const email = "proxy.visitor@example.org";
    await registerAndConfirm(visitor, email);
    expect(statusOf(email)).toBe("confirmed");

    await signInByCode(visitor, email);
    const account = await visitor.get("/account");
    expect(account.status).toBe(200);
    expect(account.body).toContain(email);
    expect(account.headers["strict-transport-security"]).toBe("max-age=31536000");

    // The session and the pending sign-in address, set and removed: Secure (over https only), HttpOnly.
    const cookies = visitor.setCookies.filter((c) => /^forum_(session|signin_email)=/.test(c));
    expect(cookies.map((c) => c.split("=")[0]).sort()).toEqual(["forum_session", "forum_signin_email", "forum_signin_email"]);
    for (const cookie of cookies) {
      expect(cookie, cookie).toMatch(/;\s*Secure(;|$)/i);
      expect(cookie, cookie).toMatch(/;\s*HttpOnly(;|$)/i);
    }
  });

  it("an organizer signs in by code, gives the second factor and approves a law-enforcement registration", async () => {
    const attendee = client(3);
    const officer = "proxy.officer@interieur.gouv.fr";
    await registerAndConfirm(attendee, officer, "law-enforcement");
    expect(statusOf(officer)).toBe("pending_review");

    const organizerEmail = "proxy.organizer@example.org";
    accounts.account(organizerEmail, ["organizer"]);
    const organizer = client(4);
    await signInByCode(organizer, organizerEmail, "/admin/registrations");
    const enrolment = await organizer.get("/signin/second-factor");
    expect(enrolment.status).toBe(200);
    const { key, sealedKey } = enrolmentOf(enrolment.body);
    const enrolled = await organizer.post("/signin/second-factor?_action=enrolSecondFactor", { sealedKey, code: totpOf(key) });
    expect(enrolled.status).toBe(200);
    expect(enrolled.body).toContain("Your recovery codes");

    const desk = await organizer.get("/admin/registrations");
    expect(desk.status).toBe(200);
    expect(desk.body).toContain(officer);
    const id = String((serverDb(server).db.prepare("select id from registrations where email = ?").get(officer) as { id: number }).id);
    const decided = await organizer.post("/admin/registrations?_action=decideRegistrations", { ids: id, decision: "approve", reason: "" });
    expect(decided.status, decided.body).toBe(303);
    expect(statusOf(officer)).toBe("confirmed");
  });

  it("the origin check accepts the public origin only: a form from elsewhere is still refused", async () => {
    const visitor = client(5);
    for (const foreign of ["https://evil.example", origin.replace("https:", "http:")]) {
      const refused = await visitor.post("/signin?_action=requestSignIn", { email: "x@example.org", next: "/" }, { Origin: foreign });
      expect(refused.status, foreign).toBe(403);
    }
  });

  it("the check-in desk's JSON endpoint takes scans from the public https origin only", async () => {
    const email = "proxy.desk@example.org";
    accounts.account(email, ["checkin"]);
    const desk = client(6);
    await signInByCode(desk, email, "/admin/checkin");
    const { key, sealedKey } = enrolmentOf((await desk.get("/signin/second-factor")).body);
    expect((await desk.post("/signin/second-factor?_action=enrolSecondFactor", { sealedKey, code: totpOf(key) })).status).toBe(200);
    const attendee = client(7);
    await registerAndConfirm(attendee, "proxy.attendee@example.org");
    const data = serverDb(server);
    const { id, nonce } = data.db
      .prepare("select id, ticket_nonce as nonce from registrations where email = ?")
      .get("proxy.attendee@example.org") as {
      id: number;
      nonce: string;
    };
    data.close();
    const ticket = ticketSecretOf(accounts.appKey, { ticketNonce: nonce });
    const scan = (n: number, origin_: string | undefined) =>
      desk.request("POST", "/admin/checkin/desk.json", {
        headers: { "Content-Type": "application/json", ...(origin_ === undefined ? {} : { Origin: origin_ }) },
        body: JSON.stringify({ scans: [{ nonce: `proxy-desk-nonce-${n}`, code: ticket, at: Date.now(), desk: "Proxy" }] }),
      });
    // From elsewhere, from the plain http origin, from the address nginx uses upstream, or without
    // an Origin: refused before anything is read, and nothing changes.
    for (const [n, foreign] of [
      [1, "https://evil.example"],
      [2, origin.replace("https:", "http:")],
      [3, `http://127.0.0.1:${server.port}`],
      [4, undefined],
    ] as const) {
      const refused = await scan(n, foreign);
      expect(refused.status, String(foreign)).toBe(403);
      expect(JSON.parse(refused.body)).toEqual({ error: "origin" });
    }
    const checkedIn = () => {
      const db = serverDb(server);
      try {
        return (db.db.prepare("select checked_in_at as at from registrations where id = ?").get(id) as { at: number | null }).at;
      } finally {
        db.close();
      }
    };
    expect(checkedIn()).toBeNull();
    // The desk's own page, as nginx serves it: admitted.
    const admitted = await scan(5, origin);
    expect(admitted.status, admitted.body).toBe(200);
    expect(JSON.parse(admitted.body).answers[0]).toMatchObject({ outcome: "admitted", attendee: { id } });
    expect(checkedIn()).not.toBeNull();
  });

  it("gives each client its own rate limit, and a forged X-Forwarded-For does not lift it", async () => {
    const first = client(6);
    const second = client(7);
    const register = (visitor: HttpsClient, n: number, headers: Record<string, string> = {}) =>
      visitor.post("/register?_action=register", registrationFields(`limit.${visitor.localAddress}.${n}@example.org`), headers);
    for (let n = 1; n <= 3; n++) expect((await register(first, n)).status).toBe(303);
    const limited = await register(first, 4);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);

    // Another address is another visitor: not limited by the first one's registrations.
    expect((await register(second, 1)).status).toBe(303);

    // Whatever the first visitor claims to be, nginx appends the address it saw, and that one is believed.
    const forgeries: Record<string, string>[] = [
      { "X-Forwarded-For": "198.51.100.77" },
      { "X-Forwarded-For": "198.51.100.77, 127.0.0.1" },
      { Forwarded: "for=198.51.100.78;proto=https" },
      { "X-Real-IP": "198.51.100.79" },
    ];
    for (const forged of forgeries) {
      expect((await register(first, 5, forged)).status, JSON.stringify(forged)).toBe(429);
    }
  });

  it("sends plain http to https", async () => {
    const response = await httpRequest(`http://127.0.0.1:${httpPort}/programme?view=list`);
    expect(response.status).toBe(301);
    expect(response.headers.location).toBe(`${origin}/programme?view=list`);
  });

  it("never shows the local mailbox page through the proxy, though it is on for visitors of this machine", async () => {
    expect((await client(8).get("/dev/mailbox")).status).toBe(404);
    expect((await client(8).get("/dev/mailbox", { "X-Forwarded-For": "127.0.0.1" })).status).toBe(404);
    // Straight to the site from another local address (not the trusted proxy's): shown.
    const direct = await httpRequest(`${server.url}/dev/mailbox`, { localAddress: "127.0.0.9" });
    expect(direct.status).toBe(200);
    // From the proxy's own address, even without any forwarding header: it is the proxy, so not shown.
    expect((await httpRequest(`${server.url}/dev/mailbox`, { localAddress: "127.0.0.1" })).status).toBe(404);
  });

  it("keeps anonymous public answers a few seconds per encoding, and never a signed-in person's", async () => {
    const visitor = client(40);
    const fetchOnce = (path: string, headers: Record<string, string> = {}) => visitor.request("GET", path, { headers });
    const first = await fetchOnce("/speakers", { "Accept-Encoding": "gzip, deflate, br" });
    expect(first.status).toBe(200);
    expect(first.headers["content-encoding"]).toBe("br");
    expect(["MISS", "EXPIRED", "UPDATING"]).toContain(first.headers["x-cache-status"]);
    const again = await fetchOnce("/speakers", { "Accept-Encoding": "br, gzip, zstd" });
    expect(again.headers["x-cache-status"]).toBe("HIT");
    expect(again.headers["content-encoding"]).toBe("br");
    // Another encoding is another copy: never brotli to a browser that refused it.
    for (const encoding of ["gzip", "gzip, br;q=0", ""]) {
      const other = await fetchOnce("/speakers", encoding ? { "Accept-Encoding": encoding } : {});
      expect(other.headers["content-encoding"], encoding).toBe(encoding ? "gzip" : undefined);
    }
    // A session cookie goes past the cache, and what it got is not kept.
    for (let i = 0; i < 2; i++) {
      const signedIn = await fetchOnce("/speakers", { Cookie: "forum_session=whatever" });
      expect(signedIn.headers["x-cache-status"]).toBe("BYPASS");
    }
    // What the site says is private or no-cache is never kept.
    for (let i = 0; i < 2; i++) expect((await fetchOnce("/register")).headers["x-cache-status"]).not.toBe("HIT");
  });

  it("logged no error and no stack trace", () => {
    expect(server.output()).not.toMatch(/error|at .+:\d+:\d+/i);
    expect(nginx.output()).not.toMatch(/\[(error|crit|alert|emerg)\]/);
    expect(readFileSync(join(nginx.dir, "access.log"), "utf8")).toContain("POST /register?_action=register");
  });
});
