// Keeping the person's place: the sign-in's `next` through the e-mailed link, the code form and the
// second factor (hostile values refused); the language switch of every page, private links
// included, without the token going anywhere new; the programme's filters from the programme to a
// session and back.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frenchRoutes, hasFrenchTwin, patternOf, routeFiles } from "../../src/web/french-routes.mjs";
import { invite } from "../../src/lib/cfp/invitations.ts";
import { grantLateSubmission } from "../../src/lib/cfp/late.ts";
import { confirmToken, lateToken } from "../../src/lib/cfp/links.ts";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { signInCode, signInLinkToken } from "../../src/lib/auth/sign-in-links.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../../src/lib/review/decisions.ts";
import { deriveSecret } from "../../src/lib/security/secrets.ts";
import * as cfp from "../fixtures/cfp.ts";
import { createGroup } from "../../src/lib/email/groups.ts";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { mailboxOf, serverDb, waitForMail } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, enrolmentOf, serverAccounts, totpOf } from "../helpers/session.ts";
import { createEndpoint } from "../../src/lib/webhooks/endpoints.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;

beforeAll(async () => {
  server = await startServer({
    MAIL_POLL_MS: "100",
    SIGNIN_LIMIT_IP: "100000/60",
    SIGNIN_LIMIT_EMAIL: "100000/60",
    REGISTER_LIMIT_IP: "100000/60",
    REGISTER_LIMIT_EMAIL: "100000/60",
  });
  accounts = serverAccounts(server);
  who = people(server, accounts);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const unescape = (s: string) => s.replaceAll("&amp;", "&").replaceAll("&#39;", "'").replaceAll("&quot;", '"');
/** The value of the hidden `next` field of a page's form. */
const hiddenNext = (html: string) => unescape(/name="next" value="([^"]*)"/.exec(html)?.[1] ?? "(none)");
/** The href of the page's language switch. */
const switchOf = (html: string) => unescape(/<a class="lang-switch" href="([^"]*)"/.exec(html)?.[1] ?? "(none)");
/** The one-time link of the latest sign-in message to `email`, as the mailbox holds it. */
async function mailedLink(email: string): Promise<URL> {
  const deadline = Date.now() + 15_000;
  await waitForMail(server, email, "auth.sign_in");
  for (;;) {
    const mails = (await readMailbox(mailboxOf(server))).filter((m) => m.to.includes(email) && m.template === "auth.sign_in");
    const links = mails.flatMap((mail) => [...mail.text.matchAll(/https?:\/\/\S+\/signin\/link\/\S+/g)].map((m) => m[0]));
    const nonce = latestNonce(email);
    const wanted = links.find((l) => new URL(l).pathname.endsWith(signInLinkToken(accounts.appKey, nonce)));
    if (wanted) return new URL(wanted);
    if (Date.now() > deadline) throw new Error(`no sign-in link of the latest challenge to ${email}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
function latestNonce(email: string): string {
  const row = accounts.db.$client
    .prepare("select payload from outbox where recipient = ? and template = 'auth.sign_in' order by rowid desc limit 1")
    .get(email) as { payload: string };
  return JSON.parse(row.payload).nonce;
}
/** Follows a mailed link on another device: the page, then its button. Returns the page's HTML and the answer to the button. */
async function useLink(link: URL, client = new Client(server)) {
  const page = await client.get(link.pathname + link.search);
  expect(page.status).toBe(200);
  const html = await page.text();
  const token = decodeURIComponent(link.pathname.split("/").at(-1)!);
  const response = await client.post(`${link.pathname}?_action=signInWithLink`, { token, next: hiddenNext(html) });
  return { html, response, client };
}

describe("the e-mailed sign-in link keeps where the person was going", () => {
  it("a speaker asked to sign in by the call lands on the proposal form, in English and in French", async () => {
    for (const [prefix, email] of [
      ["", "speaker.en@example.org"],
      ["/fr", "speaker.fr@example.org"],
    ] as const) {
      const asking = new Client(server);
      const signIn = await asking.get(`${prefix}/signin?next=%2Fcfp%2Fproposals%2Fnew`);
      expect(hiddenNext(await signIn.text())).toBe("/cfp/proposals/new");
      const requested = await asking.post(`${prefix}/signin?_action=requestSignIn`, { email, next: "/cfp/proposals/new" });
      expect(requested.status).toBe(303);
      expect(requested.headers.get("location")).toBe(`${prefix}/signin/code?next=%2Fcfp%2Fproposals%2Fnew`);
      const link = await mailedLink(email);
      expect(link.pathname).toMatch(new RegExp(`^${prefix}/signin/link/`));
      expect(link.searchParams.get("next")).toBe("/cfp/proposals/new");
      // Opened on another device (the phone that reads the mail): straight to the form.
      const { html, response, client } = await useLink(link);
      expect(hiddenNext(html)).toBe("/cfp/proposals/new");
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(`${prefix}/cfp/proposals/new`);
      expect((await client.get(`${prefix}/cfp/proposals/new`)).status).toBe(200);
    }
  });

  it("the code typed on the first device goes to the same place", async () => {
    const email = "typist@example.org";
    const client = new Client(server);
    await client.post("/signin?_action=requestSignIn", { email, next: "/agenda" });
    const page = await client.get("/signin/code?next=%2Fagenda");
    expect(hiddenNext(await page.text())).toBe("/agenda");
    const code = signInCode(accounts.appKey, latestNonce(email));
    const response = await client.post("/signin/code?_action=signInWithCode", { code, next: "/agenda" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/agenda");
  });

  it("a co-speaker who signs in from the invitation comes back to it; the outbox never holds its token", async () => {
    const owner = cfp.speakerProfile(accounts.db, "owner@example.org", { name: "Olga Owner" });
    const proposal = cfp.proposal(accounts.db, [owner.id], { title: "Cross-border evidence", state: "draft" });
    const deps = { db: accounts.db, appKey: accounts.appKey, edition: loadEdition("content") };
    expect(invite(deps, { id: owner.userId!, email: "owner@example.org" }, proposal.code, "guest@example.org")).toMatchObject({ ok: true });
    const token = deriveSecret(
      accounts.appKey,
      "cfp-invitation",
      JSON.parse(
        (
          accounts.db.$client
            .prepare("select payload from outbox where template = 'cfp.invitation' and recipient = 'guest@example.org'")
            .get() as { payload: string }
        ).payload,
      ).nonce,
    );
    const invitation = `/cfp/invitation/${token}`;
    const visitor = new Client(server);
    const page = await (await visitor.get(invitation)).text();
    const signInHref = unescape(/href="([^"]*\/signin\?next=[^"]*)"/.exec(page)![1]!);
    expect(new URL(signInHref, server.url).searchParams.get("next")).toBe(invitation);
    await visitor.post("/signin?_action=requestSignIn", { email: "guest@example.org", next: invitation });
    const row = accounts.db.$client
      .prepare("select payload from outbox where template = 'auth.sign_in' and recipient = 'guest@example.org' order by rowid desc limit 1")
      .get() as { payload: string };
    expect(row.payload).not.toContain(token);
    const link = await mailedLink("guest@example.org");
    expect(link.searchParams.get("next")).toBe(invitation);
    const { response, client } = await useLink(link);
    expect(response.headers.get("location")).toBe(invitation);
    const back = await (await client.get(invitation)).text();
    expect(back).toContain("cfpAcceptInvitation");
  });

  it("a staff member goes through the second factor, then on to the page asked for", async () => {
    const email = "desk-chief@example.org";
    accounts.account(email, ["organizer"]);
    const next = "/admin/registrations?status=pending_review";
    await new Client(server).post("/signin?_action=requestSignIn", { email, next });
    const { response, client } = await useLink(await mailedLink(email));
    expect(response.headers.get("location")).toBe(`/signin/second-factor?next=${encodeURIComponent(next)}`);
    const enrolPage = await (await client.get(response.headers.get("location")!)).text();
    expect(hiddenNext(enrolPage)).toBe(next);
    const { key, sealedKey } = enrolmentOf(enrolPage);
    const enrolled = await client.post(`/signin/second-factor?_action=enrolSecondFactor`, { sealedKey, code: totpOf(key), next });
    const codes = await enrolled.text();
    expect(unescape(/<a class="button" href="([^"]*)"/.exec(codes)![1]!)).toBe(next);
    const recovery = /<li>\s*<code>([^<]+)<\/code>/.exec(codes)![1]!;

    // Signing in again, with a recovery code this time.
    await new Client(server).post("/fr/signin?_action=requestSignIn", { email, next });
    const again = await useLink(await mailedLink(email));
    expect(again.response.headers.get("location")).toBe(`/fr/signin/second-factor?next=${encodeURIComponent(next)}`);
    const factorPage = await (await again.client.get(again.response.headers.get("location")!)).text();
    expect(hiddenNext(factorPage)).toBe(next);
    const verified = await again.client.post("/fr/signin/second-factor?_action=verifySecondFactor", { code: recovery, next });
    expect(verified.status).toBe(303);
    expect(verified.headers.get("location")).toBe(`/fr${next}`);

    // Enrolling in French, "Continue" leads to the French page.
    const french = "desk-chef@example.org";
    accounts.account(french, ["organizer"]);
    await new Client(server).post("/fr/signin?_action=requestSignIn", { email: french, next });
    const fr = await useLink(await mailedLink(french));
    const frEnrol = enrolmentOf(await (await fr.client.get(fr.response.headers.get("location")!)).text());
    const frCodes = await (
      await fr.client.post("/fr/signin/second-factor?_action=enrolSecondFactor", { ...frEnrol, code: totpOf(frEnrol.key), next })
    ).text();
    expect(unescape(/<a class="button" href="([^"]*)"/.exec(frCodes)![1]!)).toBe(`/fr${next}`);
  });

  it("never leads to another site, however `next` is spelled", async () => {
    const hostile = [
      "//evil.example/x",
      "/\\evil.example",
      "https://evil.example/",
      "/.//evil.example",
      "/a/..//evil.example",
      "/%2e%2e//evil.example",
      "/\t/evil.example",
      "%2F%2Fevil.example",
      "javascript:alert(1)",
    ];
    let i = 0;
    for (const next of hostile) {
      const email = `hostile${i++}@example.org`;
      const requested = await new Client(server).post("/signin?_action=requestSignIn", { email, next });
      expect(requested.status).toBe(303);
      expect(new URL(requested.headers.get("location")!, "http://site.invalid").origin).toBe("http://site.invalid");
      const link = await mailedLink(email);
      expect(link.search, next).toBe("");
      // The same values put on the link by hand, encoded once or twice.
      for (const query of [encodeURIComponent(next), encodeURIComponent(encodeURIComponent(next))]) {
        const { linkToken } = accounts.account(email);
        const client = new Client(server);
        const page = await client.get(`/signin/link/${linkToken}?next=${query}`);
        const kept = hiddenNext(await page.text());
        expect(kept, `${next} (${query})`).toBe("/account");
        const posted = await client.post(`/signin/link/${linkToken}?_action=signInWithLink`, { token: linkToken, next });
        const location = posted.headers.get("location") ?? "";
        expect(posted.status).toBe(303);
        expect(location, next).toBe("/account");
      }
    }
  });
});

/** The route files of the site (English), as paths with their dynamic segments. */
/** The page routes of the site (not its endpoints), English paths, each served in both languages. */
function pageRoutes(): string[] {
  return routeFiles()
    .filter((file) => file.endsWith(".astro") && hasFrenchTwin(file))
    .map((file) => patternOf(file).replace(/(.)\/$/, "$1"));
}

describe("the language switch", () => {
  let organizer: Client;
  let halfStaff: Client;
  let speaker: Client;
  const tokens: string[] = [];
  const examples: Record<string, { path: string; as: () => Client }[]> = {};

  beforeAll(async () => {
    organizer = await who.staff("switch-organizer@example.org", ["organizer"]);
    halfStaff = await who.signedIn("switch-half@example.org", ["reviewer"]);
    speaker = await who.signedIn("switch-speaker@example.org");
    const anonymous = () => new Client(server);
    const db = accounts.db;
    const organizerId = (db.$client.prepare("select id from users where email = ?").get("switch-organizer@example.org") as { id: number })
      .id;
    const actor = { id: organizerId, email: "switch-organizer@example.org" };

    const registration = await who.register("switch-attendee@example.org", "industry", { confirm: false });
    const data = serverDb(server);
    const manage = data.linkTokenOf("switch-attendee@example.org");
    data.close();
    const confirmed = await who.register("switch-checked@example.org", "industry");
    expect((await organizer.post("/admin/checkin?_action=checkinRegistration", { id: String(confirmed) })).status).toBeLessThan(400);

    const mine = cfp.speakerProfile(db, "switch-speaker@example.org", { name: "Sam Speaker" });
    const own = cfp.proposal(db, [mine.id], { title: "Own proposal", state: "draft" });
    const other = cfp.proposal(db, [cfp.speakerProfile(db, "switch-other@example.org").id], { title: "Someone else's" });
    const accepted = cfp.proposal(db, [cfp.speakerProfile(db, "switch-accepted@example.org").id], { title: "Accepted one" });
    setPendingDecisions(db, actor, [accepted.code], "accepted");
    expect(releaseDecisions(db, accounts.appKey, actor, pendingDigest(db)).ok).toBe(true);
    const nonceOf = (template: string, recipient: string) =>
      JSON.parse(
        (
          db.$client
            .prepare("select payload from outbox where template = ? and recipient = ? order by rowid desc limit 1")
            .get(template, recipient) as { payload: string }
        ).payload,
      ).nonce as string;
    const confirm = confirmToken(accounts.appKey, nonceOf("cfp.accepted", "switch-accepted@example.org"));
    const deps = { db, appKey: accounts.appKey, edition: loadEdition("content") };
    expect(invite(deps, { id: mine.userId!, email: "switch-speaker@example.org" }, own.code, "switch-guest@example.org").ok).toBe(true);
    const invitation = deriveSecret(accounts.appKey, "cfp-invitation", nonceOf("cfp.invitation", "switch-guest@example.org"));
    expect(
      grantLateSubmission(db, accounts.appKey, actor, { email: "switch-late@example.org", days: 5, format: null, language: "en" }).ok,
    ).toBe(true);
    const late = lateToken(accounts.appKey, nonceOf("cfp.late", "switch-late@example.org"));
    const signIn = accounts.account("switch-link@example.org").linkToken;
    const outboxId = (db.$client.prepare("select id from outbox order by rowid limit 1").get() as { id: string }).id;
    const groupId = "0b7c2a4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d";
    db.transaction((tx) =>
      createGroup(tx, {
        id: groupId,
        kind: "announcement",
        subject: { en: "Practical details", fr: "Informations pratiques" },
        body: { en: "Doors open at 8:30.", fr: "Ouverture à 8 h 30." },
        recipients: 0,
        createdBy: "switch-organizer@example.org",
      }),
    );
    tokens.push(manage, confirm, invitation, late, signIn);

    const page = (path: string, as: () => Client = anonymous) => ({ path, as });
    const fill = (route: string, ...list: { path: string; as: () => Client }[]) => (examples[route] = list);
    fill("/", page("/"));
    fill("/[page]", ...["about", "venue", "faq", "code-of-conduct", "privacy"].map((p) => page(`/${p}`)));
    fill(
      "/account",
      page("/account", () => speaker),
    );
    fill(
      "/agenda",
      page("/agenda", () => speaker),
    );
    fill("/changelog", page("/changelog"));
    fill("/programme", page("/programme"), page("/programme?view=list&day=2013-07-02"));
    fill("/register", page("/register"), page("/register?category=law-enforcement"));
    fill("/register/erased", page("/register/erased"));
    fill("/register/link", page("/register/link"));
    fill("/register/sent", page("/register/sent"));
    fill("/register/manage/[token]", page(`/register/manage/${manage}`), page(`/register/manage/${manage}?cancel=1`));
    fill("/sessions/[slug]", page("/sessions/opening-keynote-anticipating-crime"));
    fill("/speakers", page("/speakers"));
    fill("/speakers/[slug]", page("/speakers/amelie-dupont-varenne"));
    fill("/signin", page("/signin?next=%2Fcfp%2Fproposals%2Fnew"));
    fill("/signin/code", page("/signin/code?next=%2Fagenda"));
    fill("/signin/link/[token]", page(`/signin/link/${signIn}?next=%2Fagenda`));
    fill(
      "/signin/second-factor",
      page("/signin/second-factor?next=%2Fadmin%2Freviews", () => halfStaff),
    );
    fill("/cfp", page("/cfp"));
    fill(
      "/cfp/profile",
      page("/cfp/profile", () => speaker),
    );
    fill(
      "/cfp/proposals",
      page("/cfp/proposals", () => speaker),
    );
    fill(
      "/cfp/proposals/new",
      page("/cfp/proposals/new", () => speaker),
    );
    fill(
      "/cfp/proposals/[code]",
      page(`/cfp/proposals/${own.code}`, () => speaker),
    );
    fill("/cfp/invitation/[token]", page(`/cfp/invitation/${invitation}`));
    fill("/cfp/confirm/[token]", page(`/cfp/confirm/${confirm}`));
    fill("/cfp/late/[token]", page(`/cfp/late/${late}`));
    const admin = (path: string) => page(path, () => organizer);
    fill("/admin", admin("/admin"));
    fill("/admin/audit", admin("/admin/audit"));
    fill("/admin/statistics", admin("/admin/statistics"));
    fill("/admin/staff", admin("/admin/staff"));
    const webhookId = createEndpoint(
      accounts.db,
      accounts.appKey,
      { id: 1, email: "organizer@example.org" },
      {
        url: "https://93.184.216.34/hook",
        description: "",
        events: ["release.published"],
      },
    ).id;
    fill("/admin/webhooks", admin("/admin/webhooks"));
    fill("/admin/webhooks/[id]", admin(`/admin/webhooks/${webhookId}`));

    fill("/admin/registrations", admin("/admin/registrations?status=pending_email"));
    fill("/admin/registrations/[id]", admin(`/admin/registrations/${registration}`));
    fill("/admin/checkin", admin("/admin/checkin?q=switch"));
    fill("/admin/checkin/[id]/badge", admin(`/admin/checkin/${confirmed}/badge`));
    fill("/admin/checkin/badges", admin("/admin/checkin/badges?layout=a4&category=industry"));
    fill("/admin/checkin/presence", admin("/admin/checkin/presence"));
    fill("/admin/mail", admin("/admin/mail?state=held"));
    fill("/admin/mail/compose", admin("/admin/mail/compose"));
    fill("/admin/mail/certificates", admin("/admin/mail/certificates"));
    fill("/admin/mail/[id]", admin(`/admin/mail/${outboxId}`));
    fill("/admin/mail/groups", admin("/admin/mail/groups?page=1"));
    fill("/admin/mail/groups/[id]", admin(`/admin/mail/groups/${groupId}`));
    fill("/admin/cfp", admin("/admin/cfp"));
    fill("/admin/cfp/[code]", admin(`/admin/cfp/${other.code}`));
    fill("/admin/cfp/settings", admin("/admin/cfp/settings"));
    fill("/admin/cfp/reviewers", admin("/admin/cfp/reviewers"));
    fill("/admin/reviews", admin("/admin/reviews"));
    fill("/admin/reviews/[code]", admin(`/admin/reviews/${other.code}`));
    fill("/admin/programme", admin("/admin/programme"));
    fill("/admin/programme/preview", admin("/admin/programme/preview?view=list"));
    fill("/admin/programme/embed", admin("/admin/programme/embed"));
    fill("/admin/programme/rooms", admin("/admin/programme/rooms"));
    fill("/admin/programme/tracks", admin("/admin/programme/tracks"));
    fill("/admin/programme/formats", admin("/admin/programme/formats"));
    fill("/admin/programme/schedule", admin("/admin/programme/schedule"));
    fill("/admin/programme/sessions", admin("/admin/programme/sessions"));
    fill("/admin/programme/sessions/new", admin("/admin/programme/sessions/new"));
    fill("/admin/programme/sessions/[slug]", admin("/admin/programme/sessions/opening-keynote-anticipating-crime"));
    fill("/admin/programme/speakers", admin("/admin/programme/speakers"));
    fill("/admin/programme/speakers/new", admin("/admin/programme/speakers/new"));
    fill("/admin/programme/speakers/[slug]", admin("/admin/programme/speakers/amelie-dupont-varenne"));
  });

  it("has an example of every page of the site, and every page a French twin from the same file", () => {
    const routes = pageRoutes();
    expect(routes.length).toBeGreaterThan(50);
    expect(routes.filter((route) => !examples[route])).toEqual([]);
    const french = new Map(frenchRoutes().map((route) => [route.pattern, route.file]));
    for (const route of routes) expect(french.get(route === "/" ? "/fr" : `/fr${route}`), `French twin of ${route}`).toBeDefined();
    // No second copy of a page: the French tree is the English one (decision 42).
    expect(existsSync("src/pages/fr")).toBe(false);
  });

  it("leads every page to the same page in the other language, its query kept, and back", async () => {
    const failures: string[] = [];
    for (const list of Object.values(examples)) {
      for (const { path, as } of list) {
        const client = as();
        const [pathname, query = ""] = path.split("?");
        // A query the page does not read is kept as well.
        const search = `?${query ? `${query}&` : ""}keep=1`;
        const fr = pathname === "/" ? "/fr/" : `/fr${pathname}`;
        for (const [from, to] of [
          [pathname, fr],
          [fr, pathname],
        ] as const) {
          const response = await client.get(from + search);
          const html = await response.text();
          if (response.status !== 200) {
            failures.push(`${from}${search}: ${response.status} ${response.headers.get("location") ?? ""}`);
            continue;
          }
          if (switchOf(html) !== to + search) failures.push(`${from}${search}: switch to ${switchOf(html)}, not ${to}${search}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("keeps private links' paths out of referrers, and their tokens out of the server's output", async () => {
    for (const path of [
      `/register/manage/${tokens[0]}`,
      `/cfp/confirm/${tokens[1]}`,
      `/cfp/invitation/${tokens[2]}`,
      `/cfp/late/${tokens[3]}`,
      `/signin/link/${tokens[4]}`,
    ]) {
      for (const url of [path, `/fr${path}`]) {
        const response = await new Client(server).get(url);
        await response.arrayBuffer();
        expect(response.headers.get("referrer-policy"), url).toBe("strict-origin");
        expect(response.headers.get("cache-control"), url).toBe("no-store");
      }
    }
    const output = server.output();
    for (const token of tokens) expect(output).not.toContain(token);
  });
});

describe("the programme's filters", () => {
  it("travel with the session links, and the way back returns to the same view, at the session", async () => {
    const client = new Client(server);
    const filtered = await (await client.get("/programme?day=2013-07-02&view=list&language=en")).text();
    const links = [...filtered.matchAll(/href="(\/sessions\/[^"]+)"/g)].map((m) => unescape(m[1]!));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^\/sessions\/[a-z0-9-]+\?day=2013-07-02&language=en&view=list$/);
    const [first] = links;
    const slug = first!.split("?")[0]!.split("/").at(-1)!;
    expect(filtered).toContain(`id="session-${slug}"`);
    const session = await (await client.get(first!)).text();
    const back = unescape(/<a class="back-link icon-link" href="([^"]*)"/.exec(session)![1]!);
    expect(back).toBe(`/programme?day=2013-07-02&language=en&view=list#session-${slug}`);
    // The session page names its one address for search engines, whatever the query.
    expect(session).toContain(`<link rel="canonical" href="${server.url}/sessions/${slug}">`);
    // In French, and with values the programme does not know (dropped, as the programme drops them).
    const french = await (await client.get(`/fr/sessions/${slug}?day=2099-01-01&track=nope&view=list&x=<b>`)).text();
    expect(unescape(/<a class="back-link icon-link" href="([^"]*)"/.exec(french)![1]!)).toBe(`/fr/programme?view=list#session-${slug}`);
    // Reached from nowhere in particular, it leads to the whole programme, at the session.
    const plain = await (await client.get(`/sessions/${slug}`)).text();
    expect(unescape(/<a class="back-link icon-link" href="([^"]*)"/.exec(plain)![1]!)).toBe(`/programme#session-${slug}`);
  });

  it("are kept by the grid's links too, and by the star button's round trip", async () => {
    const client = await who.signedIn("filters-star@example.org");
    const grid = await (await client.get("/programme?track=cybercrime-prevention")).text();
    const links = [...grid.matchAll(/href="(\/sessions\/[^"]+)"/g)].map((m) => unescape(m[1]!));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/\?track=cybercrime-prevention$/);
    const session = links[0]!;
    const starred = await client.post(`${session}&_action=toggleStar`, {
      slug: session.split("?")[0]!.split("/").at(-1)!,
      starred: "true",
    });
    expect(starred.status).toBe(303);
    expect(starred.headers.get("location")).toMatch(/\?track=cybercrime-prevention#star-/);
  });
});
