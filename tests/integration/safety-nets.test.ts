// The organizers' safety nets over HTTP: bulk decisions that keep their ticks (and a way to take
// every registration a filter matches), a confirmation before publishing over warnings, held
// e-mails read as they will go out, a criterion to score on from the start and organizers who
// review without assigning themselves, and the organizers' navigation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confirmToken } from "../../src/lib/cfp/links.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../../src/lib/review/decisions.ts";
import * as cfp from "../fixtures/cfp.ts";
import { postForm, registrationFields } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let who: ReturnType<typeof people>;
let organizer: Client;
let organizerId: number;

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60", REGISTER_LIMIT_EMAIL: "100000/60" });
  accounts = serverAccounts(server);
  who = people(server, accounts);
  organizer = await who.staff("chair@example.org", ["organizer"]);
  organizerId = (accounts.db.$client.prepare("select id from users where email = 'chair@example.org'").get() as { id: number }).id;
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

const sql = <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).get(...params) as T;
const all = <T>(query: string, ...params: unknown[]) => accounts.db.$client.prepare(query).all(...params) as T[];
/** The values of the ticked checkboxes named `name` in a page. */
const ticked = (html: string, name: string) =>
  [...html.matchAll(/<input\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => tag.includes(`name="${name}"`) && /\schecked\b/.test(tag))
    .map((tag) => /value="([^"]*)"/.exec(tag)![1]);

describe("bulk decisions on registrations", () => {
  let ids: number[];
  beforeAll(async () => {
    // 53 law-enforcement registrations waiting for vetting: more than one page of the list (50).
    for (let i = 0; i < 53; i++) {
      const email = `officer${String(i).padStart(2, "0")}@interieur.gouv.fr`;
      const response = await postForm(
        server,
        "/register?_action=register",
        registrationFields(email, "law-enforcement", { name: `Officer ${i}` }),
      );
      expect(response.status).toBe(303);
    }
    ids = all<{ id: number }>("select id from registrations where email like 'officer%' order by id").map((r) => r.id);
    for (const id of ids.slice(0, 53)) {
      // Confirm each address directly: the vetting queue is what matters here.
      accounts.db.$client.prepare("update registrations set status = 'pending_review' where id = ?").run(id);
    }
  });

  it("keeps the ticked rows after a refusal, and names the registration that stopped it", async () => {
    const [a, b] = ids;
    const page = "/admin/registrations?category=law-enforcement&sort=name&dir=asc";
    // A rejection without its reason: refused, the same rows ticked again, the decision kept.
    const noReason = await organizer.post(`${page}&_action=decideRegistrations`, {
      ids: [String(a), String(b)],
      decision: "reject",
      reason: "",
    });
    expect(noReason.status).toBe(400);
    const html = await noReason.text();
    expect(ticked(html, "ids").sort()).toEqual([String(a), String(b)].sort());
    expect(html).toMatch(/<option value="reject" selected/);
    // One of them cannot take the decision: nothing changes, and the page says which one.
    accounts.db.$client.prepare("update registrations set status = 'rejected' where id = ?").run(b);
    const refused = await organizer.post(`${page}&_action=decideRegistrations`, {
      ids: [String(a), String(b)],
      decision: "waitlist",
      reason: "",
    });
    expect(refused.status).toBe(409);
    const refusedHtml = await refused.text();
    const name = sql<{ name: string }>("select name from registrations where id = ?", b).name;
    expect(refusedHtml).toContain(`This decision is not possible for ${name} (rejected); nothing was changed.`);
    expect(ticked(refusedHtml, "ids").sort()).toEqual([String(a), String(b)].sort());
    expect(sql<{ status: string }>("select status from registrations where id = ?", a).status).toBe("pending_review");
    accounts.db.$client.prepare("update registrations set status = 'pending_review' where id = ?").run(b);
  });

  it("offers a select-all box (a script) and, without it, every registration the filter matches", async () => {
    const html = await (await organizer.get("/admin/registrations?category=law-enforcement")).text();
    const selectAll = [...html.matchAll(/<input\b[^>]*data-select-all="ids"[^>]*>/g)].map((m) => m[0]);
    expect(selectAll).toHaveLength(1);
    expect(selectAll[0]).toContain('aria-label="Select every registration on this page"');
    // Hidden until its script (a file, under the CSP) shows it.
    expect(selectAll[0]).toMatch(/\shidden\b/);
    expect(html).toMatch(/<script\b[^>]*\bsrc="\/_astro\/[^"]+\.js"/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toContain("All 53 registrations that match the filter");
  });

  it("decides every registration the filter matches, on every page, only as the organizer saw them", async () => {
    const page = "/admin/registrations?category=law-enforcement&q=officer";
    const html = await (await organizer.get(page)).text();
    const matching = /name="matching" value="([^"]+)"/.exec(html)![1]!;
    expect(html).toContain("All 53 registrations that match the filter");
    // Someone registers meanwhile: the organizer's "all 53" is not "all 54".
    await postForm(server, "/register?_action=register", registrationFields("officer-late@interieur.gouv.fr", "law-enforcement"));
    accounts.db.$client.prepare("update registrations set status = 'pending_review' where email = 'officer-late@interieur.gouv.fr'").run();
    const stale = await organizer.post(`${page}&_action=decideRegistrations`, {
      allMatching: "on",
      matching,
      decision: "waitlist",
      reason: "",
    });
    expect(stale.status).toBe(409);
    const staleHtml = await stale.text();
    expect(staleHtml).toContain("changed since the page was shown");
    expect(staleHtml).toContain("All 54 registrations that match the filter");
    expect(staleHtml).toMatch(/id="f-allMatching" name="allMatching" checked/);
    expect(sql<{ n: number }>("select count(*) as n from registrations where status = 'waitlisted'").n).toBe(0);

    const fresh = /name="matching" value="([^"]+)"/.exec(staleHtml)![1]!;
    const applied = await organizer.post(`${page}&_action=decideRegistrations`, {
      allMatching: "on",
      matching: fresh,
      decision: "waitlist",
      reason: "",
    });
    expect(applied.status).toBe(303);
    expect(applied.headers.get("location")).toContain("applied=54");
    // Every one left the vetting queue (some straight on to a free seat), each with its audit entry.
    expect(sql<{ n: number }>("select count(*) as n from registrations where status = 'pending_review' and email like 'officer%'").n).toBe(
      0,
    );
    expect(sql<{ n: number }>("select count(*) as n from audit_log where action = 'registration.waitlist'").n).toBe(54);
  });
});

describe("bulk decisions on proposals", () => {
  it("keep their ticks after a refusal, with a select-all box", async () => {
    const a = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "bulk-a@example.org").id], { title: "Bulk A" });
    const b = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "bulk-b@example.org").id], { title: "Bulk B" });
    const refused = await organizer.post("/admin/cfp?_action=proposalsDecide", { codes: [a.code, b.code], decision: "maybe", reason: "" });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(ticked(html, "codes").sort()).toEqual([a.code, b.code].sort());
    expect(html).toContain('data-select-all="codes"');
  });
});

describe("publishing a release", () => {
  /** Puts session `slug` in the keynote's room at the keynote's time: a room double-booked. */
  const clash = (slug: string) =>
    accounts.db.$client
      .prepare(
        "update sessions set starts_at = (select starts_at from sessions where slug = 'opening-keynote-anticipating-crime'), ends_at = (select ends_at from sessions where slug = 'opening-keynote-anticipating-crime'), room_id = (select room_id from sessions where slug = 'opening-keynote-anticipating-crime') where slug = ?",
      )
      .run(slug);
  const releases = () => sql<{ n: number }>("select max(number) as n from schedule_releases").n;

  it("without warnings stays one step, with its summary of changes", async () => {
    const page = await (await organizer.get("/admin/programme")).text();
    expect(page).toContain("The work in progress is the published version.");
    expect(page).not.toContain("you will see them and be asked to confirm");
    const before = releases();
    const published = await organizer.post("/admin/programme?_action=publishRelease", { commentEn: "Nothing new" });
    expect(published.status).toBe(303);
    expect(releases()).toBe(before + 1);
  });

  it("with warnings lists them and asks; a confirmation of other warnings publishes nothing", async () => {
    clash("measuring-what-prevention-prevents");
    const page = await (await organizer.get("/admin/programme")).text();
    expect(page).toContain("The programme has 1 warning: you will see it and be asked to confirm before anything is published.");
    const before = releases();
    const asked = await organizer.post("/admin/programme?_action=publishRelease", { commentEn: "Keynote moved" });
    expect(asked.status).toBe(200);
    const step = await asked.text();
    expect(releases()).toBe(before);
    expect(step).toContain("Publish despite 1 warning?");
    expect(step).toContain("Two sessions in one room at once");
    expect(step).toContain('name="commentEn" value="Keynote moved"');
    const fingerprint = /name="acknowledged" value="([^"]+)"/.exec(step)![1]!;

    // Meanwhile another clash: the confirmation was for one warning, not two.
    const slugs = all<{ slug: string }>(
      "select slug from sessions where room_id is not null and state = 'confirmed' and slug not in ('opening-keynote-anticipating-crime', 'measuring-what-prevention-prevents') order by starts_at",
    ).map((s) => s.slug);
    clash(slugs[0]!);
    const stale = await organizer.post("/admin/programme?_action=publishRelease", {
      commentEn: "Keynote moved",
      acknowledged: fingerprint,
    });
    expect(stale.status).toBe(200);
    const again = await stale.text();
    expect(releases()).toBe(before);
    expect(again).toContain("The warnings changed since you confirmed them: nothing was published.");
    expect(again).toMatch(/Publish despite \d+ warnings\?/);
    const current = /name="acknowledged" value="([^"]+)"/.exec(again)![1]!;
    expect(current).not.toBe(fingerprint);
    // A forged or empty acknowledgement is no confirmation either.
    expect((await organizer.post("/admin/programme?_action=publishRelease", { commentEn: "x", acknowledged: "forged" })).status).toBe(200);
    expect(releases()).toBe(before);

    const published = await organizer.post("/admin/programme?_action=publishRelease", {
      commentEn: "Keynote moved",
      acknowledged: current,
    });
    expect(published.status).toBe(303);
    expect(published.headers.get("location")).toBe(`/admin/programme?published=${before + 1}`);
    expect(releases()).toBe(before + 1);
    const audit = sql<{ after: string }>("select after from audit_log where action = 'programme.release' order by id desc limit 1");
    expect(JSON.parse(audit.after)).toMatchObject({ comment: { en: "Keynote moved", fr: "" }, acknowledgedWarnings: expect.any(Number) });
  });

  it("in French too", async () => {
    const step = await (await organizer.post("/fr/admin/programme?_action=publishRelease", { commentEn: "" })).text();
    expect(step).toMatch(/Publier malgré \d+ alertes ?/);
    expect(step).toContain("Ne pas publier");
  });
});

describe("held e-mails", () => {
  let held: { id: string; recipient: string; payload: string }[];
  beforeAll(() => {
    const actor = { id: organizerId, email: "chair@example.org" };
    const accepted = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "held-yes@example.org", { language: "fr" }).id], {
      title: "Accepted for reading",
    });
    const rejected = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "held-no@example.org").id], { title: "Not this year" });
    setPendingDecisions(accounts.db, actor, [accepted.code], "accepted");
    setPendingDecisions(accounts.db, actor, [rejected.code], "rejected", { reason: "Too close to another talk." });
    expect(releaseDecisions(accounts.db, accounts.appKey, actor, pendingDigest(accounts.db)).ok).toBe(true);
    held = all("select id, recipient, payload from outbox where template in ('cfp.accepted', 'cfp.rejected') order by rowid");
  });

  it("are listed by subject, each opening as it will go out, in the recipient's language, private links redacted", async () => {
    const list = await (await organizer.get("/admin/mail?state=held")).text();
    const yes = held.find((h) => h.recipient === "held-yes@example.org")!;
    expect(list).toContain(`href="/admin/mail/${yes.id}"`);
    expect(list).toContain("Votre proposition est acceptée");

    const page = await organizer.get(`/admin/mail/${yes.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("held-yes@example.org");
    expect(html).toMatch(/<h1 lang="fr"[^>]*>Votre proposition est acceptée/);
    expect(html).toContain("Held for review");
    expect(html).toContain(`src="/admin/mail/${yes.id}/html"`);
    expect(html).toMatch(/<pre class="mail-text[^"]*" lang="fr"/);
    expect(html).toContain("/fr/cfp/confirm/PRIVATE");
    const token = confirmToken(accounts.appKey, JSON.parse(yes.payload).nonce);
    expect(html).not.toContain(token);

    const frame = await organizer.get(`/admin/mail/${yes.id}/html`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get("content-security-policy")).toContain("sandbox");
    expect(frame.headers.get("cache-control")).toBe("no-store");
    const body = await frame.text();
    expect(body).toContain('<html lang="fr"');
    expect(body).toContain("/fr/cfp/confirm/PRIVATE");
    expect(body).not.toContain(token);

    const no = held.find((h) => h.recipient === "held-no@example.org")!;
    const rejection = await (await organizer.get(`/fr/admin/mail/${no.id}`)).text();
    expect(rejection).toContain("Too close to another talk.");
    expect(rejection).toContain("Retenu pour relecture");
  });

  it("are sent or cancelled from their page, which then shows the next one; all the rest in one go", async () => {
    const [first, second] = held;
    const sent = await organizer.post(`/admin/mail/${first!.id}?_action=heldMailSend`, { id: first!.id, expected: "" });
    expect(sent.status).toBe(303);
    expect(sent.headers.get("location")).toBe(`/admin/mail/${second!.id}?released=1`);
    const next = await (await organizer.get(sent.headers.get("location")!)).text();
    expect(next).toContain("The held message is sent to the queue.");
    expect(
      sql<{ state: string; held: number }>("select state, next_attempt_at < 253402214400000 as held from outbox where id = ?", first!.id),
    ).toEqual({
      state: "pending",
      held: 1,
    });
    // Sending every held one still works from the list (the rest: here, the second).
    const list = await (await organizer.get("/admin/mail?state=held")).text();
    const digest = /name="expected" value="([^"]+)"/.exec(list)![1]!;
    const rest = await organizer.post("/admin/mail?state=held&_action=heldMailSend", { id: "all", expected: digest });
    expect(rest.status).toBe(303);
    expect(rest.headers.get("location")).toContain("released=1");
  });

  it("are for those who may read the outbox", async () => {
    const reviewer = await who.staff("mail-reviewer@example.org", ["reviewer"]);
    const id = held[0]!.id;
    for (const path of [`/admin/mail/${id}`, `/admin/mail/${id}/html`, `/fr/admin/mail/${id}`]) {
      const refused = await reviewer.get(path);
      await refused.arrayBuffer();
      expect(refused.status, path).toBe(403);
      const anonymous = await new Client(server).get(path);
      await anonymous.arrayBuffer();
      expect(anonymous.status, path).toBe(303);
    }
    const unknown = await organizer.get("/admin/mail/00000000-0000-4000-8000-000000000000");
    await unknown.arrayBuffer();
    expect(unknown.status).toBe(404);
  });
});

describe("reviewing", () => {
  it("has a criterion from the start, and an organizer reviews without assigning themselves, never their own", async () => {
    const criteria = all<{ id: number; name_en: string }>("select id, name_en from review_criteria");
    expect(criteria.map((c) => c.name_en)).toEqual(["Overall"]);
    const other = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "review-other@example.org").id], { title: "To be reviewed" });
    const own = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "chair@example.org").id], { title: "The chair's own" });
    expect(sql<{ n: number }>("select count(*) as n from reviewer_assignments where user_id = ?", organizerId).n).toBe(0);

    const queue = await (await organizer.get("/admin/reviews")).text();
    expect(queue).toContain("To be reviewed");
    expect(queue).not.toContain("The chair&#39;s own");
    const detail = await (await organizer.get(`/admin/cfp/${other.code}`)).text();
    expect(detail).toContain(`href="/admin/reviews/${other.code}"`);

    const form = await (await organizer.get(`/admin/reviews/${other.code}`)).text();
    expect(form).toContain("Overall");
    expect(form).toContain(`name="score-${criteria[0]!.id}"`);
    const saved = await organizer.post(`/admin/reviews/${other.code}?_action=reviewSubmit`, {
      code: other.code,
      [`score-${criteria[0]!.id}`]: "4",
      comment: "Solid.",
    });
    expect(saved.status).toBe(303);
    expect(sql<{ n: number }>("select count(*) as n from reviews where reviewer_id = ?", organizerId).n).toBe(1);

    const ownPage = await organizer.get(`/admin/reviews/${own.code}`);
    await ownPage.arrayBuffer();
    expect(ownPage.status).toBe(404);
    const ownPost = await organizer.post(`/admin/reviews/${own.code}?_action=reviewSubmit`, {
      code: own.code,
      [`score-${criteria[0]!.id}`]: "5",
      comment: "",
    });
    expect([403, 404]).toContain(ownPost.status);
    expect(sql<{ n: number }>("select count(*) as n from reviews where reviewer_id = ?", organizerId).n).toBe(1);
  });

  it("a reviewer still reviews only what is assigned", async () => {
    const reviewer = await who.staff("only-assigned@example.org", ["reviewer"]);
    const unassigned = cfp.proposal(accounts.db, [cfp.speakerProfile(accounts.db, "unassigned@example.org").id], { title: "Unassigned" });
    const page = await reviewer.get(`/admin/reviews/${unassigned.code}`);
    await page.arrayBuffer();
    expect(page.status).toBe(404);
    expect(await (await reviewer.get("/admin/reviews")).text()).not.toContain("Unassigned");
  });
});

describe("navigation", () => {
  /** The links of the organizers' navigation of a page, with their aria-current. */
  const adminNav = (html: string) => {
    const nav = /<nav class="admin-nav[^"]*"[^>]*aria-label="([^"]+)"[^>]*>([\s\S]*?)<\/nav>/.exec(html);
    if (!nav) return null;
    return {
      label: nav[1],
      links: [...nav[2]!.matchAll(/<a href="([^"]+)"(?: aria-current="([^"]+)")?[^>]*>\s*([^<]*?)\s*<\/a>/g)].map((m) => [
        m[1],
        m[3],
        m[2] ?? "",
      ]),
    };
  };

  it("gives every page of the organizers' area the areas the principal may open, the current one marked", async () => {
    const home = adminNav(await (await organizer.get("/admin")).text())!;
    expect(home.label).toBe("Organizers’ area");
    expect(home.links.map(([href]) => href)).toEqual([
      "/admin",
      "/admin/registrations",
      "/admin/checkin",
      "/admin/statistics",
      "/admin/programme",
      "/admin/cfp",
      "/admin/reviews",
      "/admin/mail",
      "/admin/audit",
      "/admin/staff",
      "/admin/webhooks",
    ]);
    expect(home.links.filter(([, , current]) => current)).toEqual([["/admin", "Overview", "page"]]);
    const within = adminNav(await (await organizer.get("/fr/admin/programme/rooms")).text())!;
    expect(within.label).toBe("Espace des organisateurs");
    expect(within.links.filter(([, , current]) => current)).toEqual([["/fr/admin/programme", "Programme", "true"]]);

    const reviewer = await who.staff("nav-reviewer@example.org", ["reviewer"]);
    expect(adminNav(await (await reviewer.get("/admin/reviews")).text())!.links).toEqual([
      ["/admin", "Overview", ""],
      ["/admin/reviews", "My reviews", "page"],
    ]);
    const desk = await who.staff("nav-desk@example.org", ["checkin"]);
    expect(adminNav(await (await desk.get("/admin/checkin")).text())!.links.map(([href]) => href)).toEqual(["/admin", "/admin/checkin"]);
    // Not on public pages, nor for someone refused.
    expect(adminNav(await (await organizer.get("/programme")).text())).toBeNull();
    const refused = await reviewer.get("/admin/registrations");
    expect(refused.status).toBe(403);
    expect(adminNav(await refused.text())!.links.map(([href]) => href)).toEqual(["/admin", "/admin/reviews"]);
  });

  it("puts My agenda in the header of a signed-in person, and on their account page", async () => {
    const attendee = await who.signedIn("agenda-nav@example.org");
    const page = await (await attendee.get("/programme")).text();
    const header = /<header class="site-header">([\s\S]*?)<\/header>/.exec(page)![1]!;
    expect(header).toContain('href="/agenda"');
    expect(header).toContain("My agenda");
    const agenda = /<header class="site-header">([\s\S]*?)<\/header>/.exec(await (await attendee.get("/fr/agenda")).text())![1]!;
    expect(agenda).toMatch(/<a href="\/fr\/agenda" aria-current="page"[^>]*>\s*Mon agenda/);
    const anonymous = /<header class="site-header">([\s\S]*?)<\/header>/.exec(
      await (await new Client(server).get("/programme")).text(),
    )![1]!;
    expect(anonymous).not.toContain('href="/agenda"');
    const account = await (await attendee.get("/account")).text();
    const main = /<main[^>]*>([\s\S]*?)<\/main>/.exec(account)![1]!;
    expect(main).toContain('href="/agenda"');
  });
});
