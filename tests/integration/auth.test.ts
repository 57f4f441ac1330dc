// Accounts over HTTP: passwordless sign-in (link and code), the second factor for staff, sessions,
// sign-out, and the authorization matrix of the organizers' area.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm, serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, enrolmentOf, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

describe("sign-in", () => {
  it("by link: a new session in an HttpOnly SameSite=Lax cookie; the link works once", async () => {
    const { linkToken } = accounts.account("link@example.org");
    const client = new Client(server);
    const page = await client.get(`/signin/link/${linkToken}`);
    expect(page.status).toBe(200);
    // Following the link (as a mail scanner would) signs nobody in: a button does.
    expect(client.cookies.has("forum_session")).toBe(false);
    const response = await client.post(`/signin/link/${linkToken}?_action=signInWithLink`, { token: linkToken, next: "/account" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/account");
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("forum_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    const account = await client.get("/account");
    expect(account.status).toBe(200);
    expect(await account.text()).toContain("Signed in as link@example.org");
    // The session token is stored only hashed.
    const token = client.cookies.get("forum_session")!;
    expect(accounts.db.$client.prepare("select count(*) as n from auth_sessions where id = ?").get(token)).toEqual({ n: 0 });

    const again = await new Client(server).post(`/signin/link/${linkToken}?_action=signInWithLink`, { token: linkToken, next: "/" });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("already used");
  });

  it("by code: the page answers the same for any address; wrong codes are limited", async () => {
    const known = new Client(server);
    accounts.account("known@example.org");
    const a = await known.post("/signin?_action=requestSignIn", { email: "known@example.org", next: "/account" });
    const b = await new Client(server).post("/signin?_action=requestSignIn", { email: "nobody@example.org", next: "/account" });
    expect([a.status, b.status]).toEqual([303, 303]);
    expect(a.headers.get("location")).toBe(b.headers.get("location"));
    // Both addresses get a message (the unknown one gets an account once it signs in).
    const data = serverDb(server);
    try {
      expect(
        data.count(
          "select count(*) as n from outbox where template = 'auth.sign_in' and recipient in ('known@example.org', 'nobody@example.org')",
        ),
      ).toBe(2);
    } finally {
      data.close();
    }
    for (let i = 0; i < 4; i++) {
      const wrong = await known.post("/signin/code?_action=signInWithCode", { code: "000000", next: "/account" });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain("This code is not right.");
    }
    const fifth = await known.post("/signin/code?_action=signInWithCode", { code: "000001", next: "/account" });
    expect(await fifth.text()).toMatch(/Too many wrong codes|not right/);
    expect(known.cookies.has("forum_session")).toBe(false);
  });

  it("by code: the right code signs in", async () => {
    const client = new Client(server);
    const { code } = accounts.account("code@example.org");
    // The code page knows the address from the cookie set when the link was asked for.
    client.cookies.set("forum_signin_email", "code@example.org");
    const response = await client.post("/signin/code?_action=signInWithCode", { code, next: "/account" });
    expect(response.status).toBe(303);
    expect(client.cookies.has("forum_session")).toBe(true);
  });

  it("signs out here, or everywhere", async () => {
    const email = "twice@example.org";
    const first = await who.signedIn(email);
    const second = await who.signedIn(email);
    expect((await first.post("/account?_action=signOut", {})).status).toBe(303);
    expect((await first.get("/account")).status).toBe(303);
    expect((await second.get("/account")).status).toBe(200);
    const third = await who.signedIn(email);
    expect((await third.post("/account?_action=signOut", { everywhere: "on" })).status).toBe(303);
    expect((await second.get("/account")).status).toBe(303);
  });

  it("a mistyped enrolment code keeps the same key on the page, and nothing is enabled", async () => {
    const client = await who.signedIn("mistype@example.org", ["checkin"]);
    const { key, sealedKey } = enrolmentOf(await (await client.get("/signin/second-factor")).text());
    const wrong = await client.post("/signin/second-factor?_action=enrolSecondFactor", { sealedKey, code: "000000" });
    expect(wrong.status).toBe(400);
    const again = await wrong.text();
    expect(again).toContain("This code is not right.");
    expect(enrolmentOf(again).key).toBe(key);
    expect(accounts.db.$client.prepare("select totp_enabled_at from users where email = ?").get("mistype@example.org")).toEqual({
      totp_enabled_at: null,
    });
    expect((await client.get("/admin")).status).toBe(303);
  });

  it("five wrong second-factor codes end every session of the account; each is audited", async () => {
    const client = await who.staff("guess@example.org", ["organizer"]);
    const other = await who.signedIn("guess@example.org", ["organizer"]);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await other.post("/signin/second-factor?_action=verifySecondFactor", { code: String(100000 + i), next: "/admin" });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    expect(
      accounts.db.$client
        .prepare("select count(*) as n from audit_log where action = 'auth.second_factor_failed' and actor_email = ?")
        .get("guess@example.org"),
    ).toEqual({ n: 5 });
    expect((await other.get("/account")).status).toBe(303);
    expect((await client.get("/admin")).status).toBe(303);
  });

  it("granting a staff role ends the account's open sessions", async () => {
    const client = await who.signedIn("promoted@example.org");
    expect((await client.get("/account")).status).toBe(200);
    accounts.account("promoted@example.org", ["checkin"]);
    expect((await client.get("/account")).status).toBe(303);
  });

  it("never redirects to another site after signing in, whatever `next` says", async () => {
    for (const next of ["/%09/evil.example/x", "//evil.example", "https://evil.example", "/\\evil.example"]) {
      const { linkToken } = accounts.account("redirect@example.org");
      const client = new Client(server);
      const response = await client.post(`/signin/link/${linkToken}?_action=signInWithLink&next=${encodeURIComponent(next)}`, {
        token: linkToken,
        next: decodeURIComponent(next),
      });
      expect(response.status).toBe(303);
      const location = response.headers.get("location")!;
      expect(new URL(location, "http://site.invalid").origin, `${next} -> ${JSON.stringify(location)}`).toBe("http://site.invalid");
      expect(location).not.toMatch(/[\u0000-\u001f]/);
    }
  });

  it("limits sign-in requests per address with 429", async () => {
    const client = new Client(server);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await client.post("/signin?_action=requestSignIn", { email: "flood@example.org", next: "/" })).status);
    expect(statuses).toEqual([303, 303, 303, 303, 303, 429]);
  });

  it("refuses a cross-site sign-in post", async () => {
    const { linkToken } = accounts.account("csrf@example.org");
    const response = await postForm(
      server,
      `/signin/link/${linkToken}?_action=signInWithLink`,
      { token: linkToken, next: "/" },
      { Origin: "https://evil.example" },
    );
    expect(response.status).toBe(403);
  });
});

describe("the organizers' area", () => {
  let organizer: Client;
  beforeAll(async () => {
    organizer = await who.staff("organizer@example.org", ["organizer"]);
  });

  it("answers each kind of visitor as its role allows", async () => {
    const anonymous = new Client(server);
    const plain = await who.signedIn("plain@example.org");
    const reviewer = await who.staff("reviewer@example.org", ["reviewer"]);
    const checkin = await who.staff("checkin@example.org", ["checkin"]);
    const unverified = await who.signedIn("organizer2@example.org", ["organizer"]);
    const expected: [string, Client, number, string?][] = [];
    for (const path of ["/admin", "/admin/registrations", "/admin/registrations/1", "/fr/admin/registrations"]) {
      // Reviewers and check-in staff enter the organizers' home (their queue or desk is linked there), nothing else of it.
      const reviewerStatus = path === "/admin" ? 200 : 403;
      expected.push(
        [path, anonymous, 303, "/signin"],
        [path, plain, 403],
        [path, reviewer, reviewerStatus],
        [path, checkin, reviewerStatus],
      );
      expected.push([path, unverified, 303, "/signin/second-factor"], [path, organizer, path.endsWith("/1") ? 404 : 200]);
    }
    for (const [path, client, status, location] of expected) {
      const response = await client.get(path);
      expect(response.status, `${path} as ${[...client.cookies.keys()].join(",") || "anonymous"}`).toBe(status);
      if (location) expect(response.headers.get("location")).toContain(location);
    }
  });

  it("the decision Action refuses anyone but an organizer with the second factor, and changes nothing", async () => {
    const email = "vetting@example.org";
    const id = await who.registerAndConfirm(email, "law-enforcement");
    const data = serverDb(server);
    try {
      const decision = { ids: String(id), decision: "approve", reason: "" };
      for (const client of [
        new Client(server),
        await who.signedIn("plain2@example.org"),
        await who.staff("reviewer2@example.org", ["reviewer"]),
        await who.signedIn("organizer3@example.org", ["organizer"]),
      ]) {
        const response = await client.post("/admin/registrations?_action=decideRegistrations", decision);
        // Refused by the Action; the page then sends the visitor to sign in (303) or answers 403.
        expect([303, 403]).toContain(response.status);
        if (response.status === 303) expect(response.headers.get("location")).toMatch(/^\/signin/);
      }
      expect(data.db.prepare("select status from registrations where id = ?").get(id)).toEqual({ status: "pending_review" });

      const list = await (await organizer.get("/admin/registrations?q=vetting")).text();
      expect(list).toContain(email);
      const approved = await organizer.post("/admin/registrations?q=vetting&_action=decideRegistrations", decision);
      expect(approved.status).toBe(303);
      expect(approved.headers.get("location")).toContain("applied=1");
      expect(approved.headers.get("location")).toContain("q=vetting");
      expect(data.db.prepare("select status from registrations where id = ?").get(id)).toEqual({ status: "confirmed" });
      expect(data.db.prepare("select template from outbox where recipient = ? order by rowid desc limit 1").get(email)).toEqual({
        template: "registration.confirmed",
      });
      expect(data.db.prepare("select actor_email, action from audit_log where subject_id = ?").all(String(id))).toEqual([
        { actor_email: "organizer@example.org", action: "registration.approve" },
      ]);
      const detail = await (await organizer.get(`/admin/registrations/${id}`)).text();
      expect(detail).toContain("Cybercrime unit");
      const rejectWithoutReason = await organizer.post(`/admin/registrations/${id}?_action=decideRegistrations`, {
        ids: String(id),
        decision: "reject",
        reason: "",
      });
      expect(rejectWithoutReason.status).toBe(400);
      expect(await rejectWithoutReason.text()).toContain("Give a reason to reject");
      // A refused decision keeps what the organizer chose and typed.
      const refusedDecision = await organizer.post(`/admin/registrations/${id}?_action=decideRegistrations`, {
        ids: String(id),
        decision: "waitlist",
        reason: "Typed & kept",
      });
      expect(refusedDecision.status).toBe(409);
      const refusedHtml = await refusedDecision.text();
      expect(refusedHtml).toContain("nothing was changed");
      expect(refusedHtml).toMatch(/<textarea[^>]*name="reason"[^>]*>Typed &amp; kept<\/textarea>/);
      expect(refusedHtml).toMatch(/<option value="waitlist" selected/);
    } finally {
      data.close();
    }
  });
});
