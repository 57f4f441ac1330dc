// The organizers' e-mail and staff screens over HTTP: who may open them and use their forms, the
// outbox and its retry, a message to a group previewed then queued once, and staff accounts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { enqueue } from "../../src/lib/email/outbox.ts";
import { confirmEmail, submit } from "../../src/lib/registration/service.ts";
import { deriveSecret } from "../../src/lib/security/secrets.ts";
import { ok, registrationInput } from "../fixtures/registration.ts";
import { postForm } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let organizer: Client;
beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const sql = {
  get: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T,
  all: <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[],
  count: (query: string, ...params: unknown[]) => (accounts.db.$client.prepare(query).get(...params) as { n: number }).n,
};
const userIdOf = (email: string) => sql.get<{ id: number }>("select id from users where email = ?", email).id;

/** A message in the outbox that the worker gave up on. */
function failedMessage(recipient: string): string {
  const id = enqueue(accounts.db, { template: "registration.cancelled", language: "en", recipient, payload: { name: "Ada" } });
  accounts.db.$client.prepare("update outbox set state = 'failed', attempts = 20, last_error = 'HTTP 500' where id = ?").run(id);
  return id;
}

/** A registration, its address confirmed (industry and research need no vetting: confirmed at once). */
function registration(overrides: Parameters<typeof registrationInput>[0], confirm = true): number {
  const deps = { db: accounts.db, edition: loadEdition(), appKey: accounts.appKey };
  const input = registrationInput(overrides);
  const { registrationId } = submit(deps, input);
  if (confirm) {
    const { payload } = sql.get<{ payload: string }>(
      "select payload from outbox where recipient = ? order by rowid desc limit 1",
      input.email,
    );
    ok(confirmEmail(deps, deriveSecret(accounts.appKey, "manage", JSON.parse(payload).manageNonce)));
  }
  return registrationId;
}

/** The compose form's fields for the group of `country`. */
const composeFields = (country: string, overrides: Record<string, string> = {}) => ({
  category: "",
  status: "confirmed",
  country,
  verified: "",
  subjectEn: "Practical details",
  bodyEn: "Doors open at 8:30.\nBring <your> ticket & ID.\n\nSee you in Lyon.",
  subjectFr: "Informations pratiques",
  bodyFr: "Ouverture des portes à 8 h 30.\n\nÀ bientôt à Lyon.",
  ...overrides,
});

const decode = (value: string) =>
  value.replace(/&(#x[0-9a-f]+|#\d+|quot|amp|lt|gt|apos);/gi, (_, entity: string) => {
    const named: Record<string, string> = { quot: '"', amp: "&", lt: "<", gt: ">", apos: "'" };
    if (entity[0] !== "#") return named[entity.toLowerCase()]!;
    return String.fromCodePoint(entity[1] === "x" || entity[1] === "X" ? parseInt(entity.slice(2), 16) : Number(entity.slice(1)));
  });

/** The hidden fields of the send form of a preview page. */
function sendForm(html: string): Record<string, string> {
  const form = /<form[^>]*action="[^"]*_action=mailSend"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error("no send form on the page");
  return Object.fromEntries(
    [...form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, decode(m[2]!)]),
  );
}

/** Posts a preview of `fields` as the organizer and returns the page and its send form. */
async function preview(client: Client, fields: Record<string, string>) {
  const response = await client.post("/admin/mail/compose?_action=mailPreview", fields);
  const html = await response.text();
  return { response, html, send: response.status === 200 && html.includes("_action=mailSend") ? sendForm(html) : undefined };
}

describe("authorization", () => {
  it("answers every page, and refuses every form, as each kind of visitor's role allows", async () => {
    const visitors: [string, Client][] = [
      ["anonymous", new Client(server)],
      ["plain user", await who.signedIn("plain@example.org")],
      ["reviewer", await who.staff("reviewer@example.org", ["reviewer"])],
      ["check-in", await who.staff("checkin@example.org", ["checkin"])],
      ["organizer without second factor", await who.signedIn("organizer-2fa@example.org", ["organizer"])],
    ];
    // Someone to write to, so that a send that got through would show.
    registration({ email: "matrix@example.org", country: "IS" });
    const { html, send } = await preview(organizer, composeFields("IS"));
    const previewPath = /src="(\/admin\/mail\/preview\/[^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&");
    const pages = [
      "/admin/mail",
      "/fr/admin/mail",
      "/admin/mail/compose",
      "/fr/admin/mail/compose",
      "/admin/staff",
      "/fr/admin/staff",
      previewPath,
    ];

    // What the forms would change, to check that nothing did.
    const failed = failedMessage("retry-matrix@example.org");
    await who.staff("target@example.org", ["reviewer"]);
    const target = userIdOf("target@example.org");
    await who.signedIn("revoked@example.org", ["checkin"]);
    const revoked = userIdOf("revoked@example.org");
    accounts.db.$client.prepare("update users set revoked_at = 1 where id = ?").run(revoked);
    const snapshot = () => ({
      failed: sql.get("select state, attempts from outbox where id = ?", failed),
      announcements: sql.count("select count(*) as n from outbox where template = 'announcement'"),
      users: sql.all("select email, roles, revoked_at, totp_enabled_at from users order by id"),
      audit: sql.count("select count(*) as n from audit_log"),
    });
    const before = snapshot();
    const forms: [string, string, Record<string, string | string[]>][] = [
      ["/admin/mail", "mailRetry", { id: failed }],
      ["/admin/mail/compose", "mailPreview", composeFields("IS")],
      ["/admin/mail/compose", "mailSend", send!],
      ["/admin/staff", "staffInvite", { email: "sneaky@example.org", roles: ["organizer"], language: "en" }],
      ["/admin/staff", "staffRoles", { userId: String(target), roles: ["organizer"] }],
      ["/admin/staff", "staffRevoke", { userId: String(target) }],
      ["/admin/staff", "staffRestore", { userId: String(revoked) }],
      ["/admin/staff", "staffResetSecondFactor", { userId: String(target) }],
    ];

    for (const [who, client] of visitors) {
      for (const path of pages) {
        const response = await client.get(path);
        const where = `GET ${path} as ${who}`;
        const signIn = path.startsWith("/fr/") ? "/fr/signin" : "/signin";
        if (who === "anonymous") {
          expect(response.status, where).toBe(303);
          expect(response.headers.get("location"), where).toMatch(new RegExp(`^${signIn}\\?next=`));
        } else if (who === "organizer without second factor") {
          expect(response.status, where).toBe(303);
          expect(response.headers.get("location"), where).toMatch(new RegExp(`^${signIn}/second-factor\\?next=`));
        } else {
          expect(response.status, where).toBe(403);
        }
      }
      for (const [path, action, fields] of forms) {
        const where = `${action} as ${who}`;
        // Through the page: the Action refuses, then the page sends the visitor to sign in or answers 403.
        const page = await client.post(`${path}?_action=${action}`, fields);
        expect(page.status, where).toBe(who === "anonymous" || who === "organizer without second factor" ? 303 : 403);
        if (page.status === 303) expect(page.headers.get("location"), where).toMatch(/^\/signin/);
        // Called directly: 401 without a session, 403 with one.
        const rpc = await client.post(`/_actions/${action}`, fields);
        expect(rpc.status, `${where} (RPC)`).toBe(who === "anonymous" ? 401 : 403);
      }
    }
    expect(snapshot()).toEqual(before);

    for (const path of pages) {
      const response = await organizer.get(path);
      expect(response.status, `GET ${path} as organizer`).toBe(200);
    }
    // A preview is its author's only.
    const otherOrganizer = await who.staff("organizer-other@example.org", ["organizer"]);
    expect((await otherOrganizer.get(previewPath)).status).toBe(404);
  });

  it("serves the preview frame with a CSP that allows only the e-mail's inline styles, framed by this site only", async () => {
    const { html } = await preview(organizer, composeFields("IS", { bodyEn: "<script>alert(1)</script>" }));
    const path = /src="(\/admin\/mail\/preview\/[^"]+)"/.exec(html)![1]!.replace(/&amp;/g, "&");
    expect(path).toMatch(/\?lang=en$/);
    const response = await organizer.get(path);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toMatch(/(^|; )sandbox($|;)/);
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const frame = await response.text();
    expect(frame).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(frame).not.toContain("<script");
    expect(frame).toContain("Dear [Name],");
    const fr = await (await organizer.get(path.replace("lang=en", "lang=fr"))).text();
    expect(fr).toContain("Bonjour [Nom],");
    expect(fr).toContain("Ouverture des portes à 8 h 30.");
    expect(html).toMatch(/<iframe[^>]*sandbox=""/);
    expect((await organizer.get("/admin/mail/preview/00000000-0000-4000-8000-000000000000?lang=en")).status).toBe(404);
  });
});

describe("the outbox", () => {
  it("lists messages with their state and error; a failed one is retried once, audited", async () => {
    const id = failedMessage("bounced@example.org");
    const list = await organizer.get("/admin/mail?state=failed&q=bounced");
    expect(list.status).toBe(200);
    const page = await list.text();
    expect(page).toContain("bounced@example.org");
    expect(page).toContain("HTTP 500");
    expect(page).toContain('action="/admin/mail?state=failed&amp;q=bounced&amp;_action=mailRetry"');

    const retried = await organizer.post("/admin/mail?state=failed&q=bounced&_action=mailRetry", { id });
    expect(retried.status).toBe(303);
    expect(retried.headers.get("location")).toBe("/admin/mail?state=failed&q=bounced&retried=1");
    expect(sql.get("select state, attempts from outbox where id = ?", id)).toEqual({ state: "pending", attempts: 0 });
    expect(sql.all("select actor_email, action, subject_type, before, after from audit_log where subject_id = ?", id)).toEqual([
      {
        actor_email: "organizer@example.org",
        action: "mail.retry",
        subject_type: "outbox",
        before: JSON.stringify({ state: "failed", attempts: 20, lastError: "HTTP 500" }),
        after: JSON.stringify({ state: "pending", attempts: 0 }),
      },
    ]);
    expect(await (await organizer.get("/admin/mail?state=failed&q=bounced&retried=1")).text()).toContain("The message is queued again");

    const again = await organizer.post("/admin/mail?_action=mailRetry", { id });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This message is no longer failed");
    expect(sql.count("select count(*) as n from audit_log where subject_id = ?", id)).toBe(1);
  });

  it("is in French under /fr", async () => {
    const page = await (await organizer.get("/fr/admin/mail")).text();
    expect(page).toContain("<h1>E-mails</h1>");
    expect(page).toContain("Écrire à un groupe de participants");
  });
});

describe("a message to a group", () => {
  it("is previewed in both languages, then queued once per recipient in their language, and not again on a second submit", async () => {
    const en1 = registration({ email: "group-en1@example.org", name: "Alice Group", country: "NO" });
    const en2 = registration({ email: "group-en2@example.org", name: "Bob Group", country: "NO", category: "researcher" });
    const fr1 = registration({ email: "group-fr@example.org", name: "Chloé Groupe", country: "NO", language: "fr" });
    registration({ email: "group-vetting@example.org", country: "NO", category: "law-enforcement" }); // under review
    registration({ email: "group-unconfirmed@example.org", country: "NO" }, false);
    registration({ email: "group-elsewhere@example.org", country: "SE" });

    const { response, html, send } = await preview(organizer, composeFields("NO"));
    expect(response.status).toBe(200);
    expect(html).toContain("This message goes to 3 recipients: 2 in English, 1 in French.");
    expect(html).toContain("Practical details – Safer World Forum");
    expect(html).toContain("Informations pratiques – Forum Monde plus sûr");
    // The text version, escaped in the page.
    const texts = [...html.matchAll(/<pre class="mail-text" lang="(en|fr)">([^<]*)<\/pre>/g)].map((m) => [m[1], m[2]]);
    expect(texts.map(([language]) => language)).toEqual(["en", "fr"]);
    expect(texts[0]![1]).toContain(
      "Dear [Name],\n\nDoors open at 8:30.\nBring &lt;your&gt; ticket &amp; ID.\n\nSee you in Lyon.\n\nThe organizing team",
    );
    expect(texts[1]![1]).toContain("Bonjour [Nom],\n\nOuverture des portes à 8 h 30.\n\nÀ bientôt à Lyon.\n\nL’équipe d’organisation");
    expect(send).toMatchObject({ country: "NO", status: "confirmed", subjectEn: "Practical details" });
    expect(send!.key).toMatch(/^[0-9a-f-]{36}$/);
    // Previewing queues nothing.
    expect(sql.count("select count(*) as n from outbox where template = 'announcement'")).toBe(0);

    const sent = await organizer.post("/admin/mail/compose?_action=mailSend", send!);
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe("/admin/mail?queued=3");
    const queued = () =>
      sql.all<{ recipient: string; language: string; payload: string; registration_id: number }>(
        "select recipient, language, payload, registration_id from outbox where template = 'announcement' order by recipient",
      );
    expect(queued().map((m) => ({ ...m, payload: JSON.parse(m.payload) }))).toEqual([
      {
        recipient: "group-en1@example.org",
        language: "en",
        registration_id: en1,
        payload: {
          name: "Alice Group",
          subject: "Practical details",
          body: "Doors open at 8:30.\nBring <your> ticket & ID.\n\nSee you in Lyon.",
        },
      },
      {
        recipient: "group-en2@example.org",
        language: "en",
        registration_id: en2,
        payload: {
          name: "Bob Group",
          subject: "Practical details",
          body: "Doors open at 8:30.\nBring <your> ticket & ID.\n\nSee you in Lyon.",
        },
      },
      {
        recipient: "group-fr@example.org",
        language: "fr",
        registration_id: fr1,
        payload: { name: "Chloé Groupe", subject: "Informations pratiques", body: "Ouverture des portes à 8 h 30.\n\nÀ bientôt à Lyon." },
      },
    ]);
    const audit = sql.all<{ actor_email: string; after: string; subject_id: string }>(
      "select actor_email, after, subject_id from audit_log where action = 'mail.announcement'",
    );
    expect(audit).toEqual([{ actor_email: "organizer@example.org", subject_id: send!.key, after: expect.any(String) }]);
    expect(JSON.parse(audit[0]!.after)).toEqual({
      filters: { category: "", status: "confirmed", country: "NO", verified: "" },
      recipients: 3,
      subjectEn: "Practical details",
    });
    expect(await (await organizer.get("/admin/mail?queued=3")).text()).toContain("Your message is queued for 3 recipients.");

    // The same form again (a double click, a reload): refused, nothing more queued.
    const twice = await organizer.post("/admin/mail/compose?_action=mailSend", send!);
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain("This message was already queued for 3 recipients: it was not queued again.");
    expect(queued()).toHaveLength(3);
    expect(sql.count("select count(*) as n from audit_log where action = 'mail.announcement'")).toBe(1);
  });

  it("queues once when the same form arrives twice at the same time", async () => {
    const { send } = await preview(organizer, composeFields("NO", { subjectEn: "Twice at once" }));
    const count = () => sql.count("select count(*) as n from outbox where template = 'announcement'");
    const before = count();
    const answers = await Promise.all([0, 1].map(() => organizer.post("/admin/mail/compose?_action=mailSend", send!)));
    expect(answers.map((r) => r.status).sort()).toEqual([303, 409]);
    expect(count() - before).toBe(3);
    expect(sql.count("select count(*) as n from audit_log where action = 'mail.announcement' and subject_id = ?", send!.key)).toBe(1);
  });

  it("sends only what was previewed, and says what is missing", async () => {
    const { send } = await preview(organizer, composeFields("NO"));
    const before = sql.count("select count(*) as n from outbox where template = 'announcement'");
    const changed = await organizer.post("/admin/mail/compose?_action=mailSend", { ...send!, bodyFr: "Autre chose." });
    expect(changed.status).toBe(400);
    expect(await changed.text()).toContain("The message changed since its preview");
    const wider = await organizer.post("/admin/mail/compose?_action=mailSend", { ...send!, country: "" });
    expect(wider.status).toBe(400);
    expect(sql.count("select count(*) as n from outbox where template = 'announcement'")).toBe(before);

    const missing = await organizer.post(
      "/admin/mail/compose?_action=mailPreview",
      composeFields("NO", { subjectFr: " ", bodyEn: "x".repeat(5001) }),
    );
    expect(missing.status).toBe(400);
    const page = await missing.text();
    // Each line of the summary names its field, in its language's message.
    expect(page).toContain('<a href="#f-subjectFr">Message in French — Subject: this field is required.</a>');
    expect(page).toContain('<a href="#f-bodyEn">Message in English — Message: use at most 5000 characters.</a>');
    // What was typed stays in the form.
    expect(page).toContain('value="Practical details"');
    expect(page).not.toContain("_action=mailSend");

    const nobody = await preview(organizer, composeFields("AQ"));
    expect(nobody.html).toContain("No registration matches these filters: nobody would receive this message.");
    expect(nobody.send).toBeUndefined();
  });
});

describe("staff accounts", () => {
  it("invites: the account is created with its roles and a sign-in e-mail is queued in the chosen language", async () => {
    const response = await organizer.post("/admin/staff?_action=staffInvite", {
      email: " Invitee@Example.org ",
      roles: ["reviewer", "checkin"],
      language: "fr",
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/staff?done=invited");
    expect(sql.get("select roles, revoked_at from users where email = 'invitee@example.org'")).toEqual({
      roles: JSON.stringify(["reviewer", "checkin"]),
      revoked_at: null,
    });
    expect(sql.all("select template, language from outbox where recipient = 'invitee@example.org'")).toEqual([
      { template: "auth.sign_in", language: "fr" },
    ]);
    expect(sql.all("select actor_email, action from audit_log where action = 'staff.invite'")).toEqual([
      { actor_email: "organizer@example.org", action: "staff.invite" },
    ]);
    const page = await (await organizer.get("/admin/staff?done=invited")).text();
    expect(page).toContain("The invitation is sent.");
    expect(page).toContain("invitee@example.org");

    const noRole = await organizer.post("/admin/staff?_action=staffInvite", { email: "norole@example.org", language: "en" });
    expect(noRole.status).toBe(400);
    const form = await noRole.text();
    expect(form).toContain('<a href="#f-roles">Roles: choose at least one role.</a>');
    expect(form).toContain('value="norole@example.org"');
    expect(sql.count("select count(*) as n from users where email = 'norole@example.org'")).toBe(0);
  });

  it("changes roles, with before and after in the audit log", async () => {
    await who.signedIn("rolechange@example.org", ["reviewer"]);
    const id = userIdOf("rolechange@example.org");
    const response = await organizer.post("/admin/staff?_action=staffRoles", { userId: String(id), roles: ["checkin"] });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/staff?done=roles");
    expect(sql.get("select roles from users where id = ?", id)).toEqual({ roles: JSON.stringify(["checkin"]) });
    expect(sql.all("select before, after from audit_log where action = 'staff.roles' and subject_id = ?", String(id))).toEqual([
      { before: JSON.stringify({ roles: ["reviewer"] }), after: JSON.stringify({ roles: ["checkin"] }) },
    ]);
  });

  it("revoking ends the person's sessions: their next request is signed out; restoring lets them sign in again", async () => {
    const person = await who.staff("leaver@example.org", ["checkin"]);
    expect((await person.get("/account")).status).toBe(200);
    const id = userIdOf("leaver@example.org");
    const revoked = await organizer.post("/fr/admin/staff?_action=staffRevoke", { userId: String(id) });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("location")).toBe("/fr/admin/staff?done=revoked");
    const next = await person.get("/account");
    expect(next.status).toBe(303);
    expect(next.headers.get("location")).toMatch(/^\/signin/);
    expect(sql.count("select count(*) as n from auth_sessions where user_id = ?", id)).toBe(0);
    expect(sql.all("select action from audit_log where subject_id = ? and action like 'staff.%'", String(id))).toEqual([
      { action: "staff.revoke" },
    ]);

    const restored = await organizer.post("/admin/staff?_action=staffRestore", { userId: String(id) });
    expect(restored.status).toBe(303);
    expect(sql.get("select revoked_at from users where id = ?", id)).toEqual({ revoked_at: null });
    expect((await who.signedIn("leaver@example.org")).cookies.has("forum_session")).toBe(true);
  });

  it("resets a lost second factor: the person's sessions end and they enrol again", async () => {
    const person = await who.staff("lostphone@example.org", ["reviewer"]);
    const id = userIdOf("lostphone@example.org");
    const response = await organizer.post("/admin/staff?_action=staffResetSecondFactor", { userId: String(id) });
    expect(response.status).toBe(303);
    expect(sql.get("select totp_enabled_at, totp_key_sealed from users where id = ?", id)).toEqual({
      totp_enabled_at: null,
      totp_key_sealed: null,
    });
    expect((await person.get("/account")).status).toBe(303);
    expect(sql.all("select action from audit_log where subject_id = ? and action like 'staff.%'", String(id))).toEqual([
      { action: "staff.reset_second_factor" },
    ]);
  });

  it("an organizer can neither revoke themselves nor drop their own organizer role", async () => {
    const self = userIdOf("organizer@example.org");
    const revoke = await organizer.post("/admin/staff?_action=staffRevoke", { userId: String(self) });
    expect(revoke.status).toBe(400);
    expect(await revoke.text()).toContain("You cannot revoke your own account.");
    const demote = await organizer.post("/admin/staff?_action=staffRoles", { userId: String(self), roles: ["reviewer"] });
    expect(demote.status).toBe(400);
    expect(await demote.text()).toContain("You cannot remove your own organizer role.");
    const reset = await organizer.post("/fr/admin/staff?_action=staffResetSecondFactor", { userId: String(self) });
    expect(reset.status).toBe(400);
    expect(await reset.text()).toContain("Vous ne pouvez pas réinitialiser votre propre second facteur.");
    expect(sql.get("select roles, revoked_at from users where id = ?", self)).toEqual({
      roles: JSON.stringify(["organizer"]),
      revoked_at: null,
    });
    expect((await organizer.get("/admin/staff")).status).toBe(200);
  });
});

// The cross-site check applies to these forms as to every other.
it("refuses a cross-site post", async () => {
  const response = await postForm(
    server,
    "/admin/staff?_action=staffInvite",
    { email: "x@example.org", roles: "organizer", language: "en" },
    {
      Origin: "https://evil.example",
      Cookie: organizer.cookieHeader,
    },
  );
  expect(response.status).toBe(403);
  expect(sql.count("select count(*) as n from users where email = 'x@example.org'")).toBe(0);
});
