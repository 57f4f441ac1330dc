// The whole call for papers in Chromium, JavaScript off, each person on their own pages: a speaker
// submits a proposal; an organizer sets a criterion and assigns a reviewer; the reviewer scores it;
// the organizer accepts it, releases the decisions and sends the held e-mail; the speaker confirms
// by the link of that e-mail; the organizer places the new session with the editor's form; the
// public programme shows it only after the organizer publishes a release, and the changelog lists it.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { zonedToInstant } from "../../src/lib/programme/time.ts";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { mailboxOf, serverDb, waitForMail } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts, type Client } from "../helpers/session.ts";

const edition = loadEdition();
const DAY = edition.endDate;
const SPEAKER = "noor@example.org";
const SPEAKER_NAME = "Noor Example-Speaker";
const ORGANIZER = "chair@example.org";
const REVIEWER = "rev@example.org";
const TITLE = "Tracing stolen cryptocurrency across borders";
const ABSTRACT = "How investigators follow ransomware payments through mixers and exchanges.";

describe.skipIf(skipBrowser)(browserSuite("a proposal travels from the call to the public programme in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let data: ReturnType<typeof serverDb>;
  let organizer: Client;
  let reviewer: Client;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_POLL_MS: "100" }), launchBrowser()]);
    accounts = serverAccounts(server);
    const who = people(server, accounts);
    [organizer, reviewer] = await Promise.all([who.staff(ORGANIZER, ["organizer"]), who.staff(REVIEWER, ["reviewer"])]);
    data = serverDb(server);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    data?.close();
    accounts?.close();
    await browser?.close();
    await server?.stop();
  });

  const row = <T>(query: string, ...params: unknown[]) => data.db.prepare(query).get(...params) as T;
  const all = <T>(query: string, ...params: unknown[]) => data.db.prepare(query).all(...params) as T[];
  const status = (page: Page) => page.locator("[role=status]").first().textContent();

  /** A JavaScript-less page signed in as a staff member (the session cookie of the HTTP client, which gave the second factor). */
  async function staffPage(client: Client): Promise<Page> {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    contexts.push(context);
    await context.addCookies(
      [...client.cookies].map(([name, value]) => ({ name, value, url: server.url, httpOnly: true, sameSite: "Lax" as const })),
    );
    return page;
  }

  /** A JavaScript-less page where `email` signed in with a one-time link, landing on `next`. */
  async function signedInPage(email: string, next: string): Promise<Page> {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    contexts.push(context);
    const { linkToken } = accounts.account(email);
    await page.goto(`${server.url}/signin/link/${linkToken}?next=${encodeURIComponent(next)}`);
    await page.getByRole("button", { name: "Sign me in" }).click();
    await page.waitForURL(`**${next}`);
    return page;
  }

  /** The public programme's text as an anonymous visitor gets it. */
  const publicProgramme = async () => (await fetch(`${server.url}/programme`)).text();

  it("a speaker submits, a reviewer scores, an organizer accepts and releases, the speaker confirms, the session is placed and published", async () => {
    // 1. The speaker: profile, then a proposal saved as a draft and submitted.
    const speaker = await signedInPage(SPEAKER, "/cfp/profile");
    await speaker.locator("#f-name").fill(SPEAKER_NAME);
    await speaker.getByLabel("Organisation").fill("Example Cyber Lab");
    await speaker.getByRole("button", { name: "Save my profile" }).click();
    await speaker.waitForURL("**/cfp/profile?saved=1");

    await speaker.goto(`${server.url}/cfp/proposals/new`);
    await speaker.getByLabel("Title in English").fill(TITLE);
    await speaker.getByLabel("Abstract in English").fill(ABSTRACT);
    await speaker.getByLabel("Format").selectOption("talk");
    await speaker.getByRole("button", { name: "Save as draft" }).click();
    await speaker.waitForURL(/\/cfp\/proposals\/[A-Z0-9]{8}\?notice=created$/);
    const code = /\/cfp\/proposals\/([A-Z0-9]{8})\?/.exec(speaker.url())![1]!;
    await speaker.getByRole("button", { name: "Submit the proposal" }).click();
    await speaker.waitForURL("**?notice=submitted");
    expect(await speaker.locator(".status-badge").first().textContent()).toBe("Submitted, under review");
    const proposal = row<{ id: number; state: string; title: string }>(
      "select id, state, title_en as title from proposals where code = ?",
      code,
    );
    expect(proposal).toMatchObject({ state: "submitted", title: TITLE });
    const speakerRow = row<{ id: number }>("select id from speakers where email = ? and name = ?", SPEAKER, SPEAKER_NAME);
    expect(all("select speaker_id as id from proposal_speakers where proposal_id = ?", proposal.id)).toEqual([{ id: speakerRow.id }]);
    expect((await waitForMail(server, SPEAKER, "cfp.submitted")).text).toContain(TITLE);

    // 2. The organizer: a criterion when the committee has none yet, and the reviewer assigned to this proposal.
    const chair = await staffPage(organizer);
    if (data.count("select count(*) as n from review_criteria") === 0) {
      await chair.goto(`${server.url}/admin/cfp/settings`);
      expect(await chair.getByText("No criterion yet").count()).toBe(1);
      await chair.locator("#f-nameEn").fill("Relevance");
      await chair.locator("#f-nameFr").fill("Pertinence");
      await chair.getByRole("button", { name: "Add a criterion" }).click();
      await chair.waitForURL("**/admin/cfp/settings?done=criterion");
      expect(await status(chair)).toContain("Criterion saved.");
    }
    const criteria = all<{ id: number; nameEn: string; max: number }>(
      "select id, name_en as nameEn, scale_max as max from review_criteria order by position, id",
    );
    expect(criteria.length).toBeGreaterThan(0);

    await chair.goto(`${server.url}/admin/cfp/reviewers`);
    await chair.getByLabel("Reviewer", { exact: true }).selectOption({ label: REVIEWER });
    await chair.getByRole("radio", { name: "One proposal" }).check();
    await chair.getByLabel("Proposal", { exact: true }).selectOption(code);
    await chair.getByRole("button", { name: "Assign", exact: true }).click();
    await chair.waitForURL("**/admin/cfp/reviewers?done=assigned");
    expect(await chair.getByRole("row", { name: new RegExp(REVIEWER.replace(".", "\\.")) }).textContent()).toContain(`(${code})`);
    const reviewerId = row<{ id: number }>("select id from users where email = ?", REVIEWER).id;
    expect(all("select scope, proposal_id as p from reviewer_assignments where user_id = ?", reviewerId)).toEqual([
      { scope: "proposal", p: proposal.id },
    ]);

    // 3. The reviewer: finds it in the queue, gives every criterion its highest score.
    const rev = await staffPage(reviewer);
    await rev.goto(`${server.url}/admin/reviews`);
    await rev.getByRole("link", { name: `Review “${TITLE}”` }).click();
    await rev.waitForURL(`**/admin/reviews/${code}`);
    for (const c of criteria) await rev.locator(`input[name="score-${c.id}"][value="${c.max}"]`).check();
    await rev.getByLabel("Comment for the committee").fill("Timely and concrete.");
    await rev.getByRole("button", { name: "Save my review" }).click();
    await rev.waitForURL(`**/admin/reviews/${code}?saved=1`);
    expect(await status(rev)).toContain("Your review is saved.");
    expect(row("select abstain, comment from reviews where proposal_id = ? and reviewer_id = ?", proposal.id, reviewerId)).toEqual({
      abstain: 0,
      comment: "Timely and concrete.",
    });

    expect(
      all(
        "select s.criterion_id as id, s.score from review_scores s join reviews r on r.id = s.review_id where r.proposal_id = ? order by s.criterion_id",
        proposal.id,
      ),
    ).toEqual(criteria.map((c) => ({ id: c.id, score: c.max })).sort((a, b) => a.id - b.id));

    // 4. The organizer: sees the score (every criterion at its top: 100), accepts, releases, sends the held e-mail.
    await chair.goto(`${server.url}/admin/cfp`);
    const listed = chair.getByRole("row", { name: new RegExp(code) });
    const cells = (await listed.locator("td").allTextContents()).map((t) => t.trim());
    expect(cells.slice(5)).toEqual(["100.0", "100.0", "1", "0.0"]);
    await listed.getByRole("checkbox", { name: `Select “${TITLE}”` }).check();
    await chair.locator("#f-decision").selectOption("accepted");
    await chair.getByRole("button", { name: "Set the decision" }).click();
    await chair.waitForURL("**/admin/cfp?applied=1");
    expect(await chair.getByRole("row", { name: new RegExp(code) }).textContent()).toContain("To accept");
    expect(row("select state, pending_state as pending from proposals where id = ?", proposal.id)).toEqual({
      state: "submitted",
      pending: "accepted",
    });
    // A pending decision and the committee's comments stay with the committee.
    const proposalUrl = `${server.url}/cfp/proposals/${code}`;
    await speaker.goto(proposalUrl);
    expect(await speaker.locator(".status-badge").first().textContent()).toBe("Submitted, under review");
    expect(await speaker.locator("main").textContent()).not.toContain("Timely and concrete.");

    await chair.getByRole("link", { name: "Release the decisions…" }).click();
    await chair.getByRole("button", { name: "Release 1 decision" }).click();
    await chair.waitForURL("**/admin/cfp?released=1&messages=1");
    expect(await status(chair)).toContain("1 decision released. 1 e-mail is held in the outbox for review.");
    expect(row("select state, pending_state as pending from proposals where id = ?", proposal.id)).toEqual({
      state: "accepted",
      pending: null,
    });
    expect((await readMailbox(mailboxOf(server))).filter((m) => m.template === "cfp.accepted")).toEqual([]);
    await speaker.goto(proposalUrl);
    expect(await speaker.locator(".status-badge").first().textContent()).toBe("Accepted: please confirm");

    await chair.getByRole("link", { name: "Review the held e-mails" }).click();
    await chair.waitForURL("**/admin/mail?state=held");
    await chair.getByRole("button", { name: `Send the held message to ${SPEAKER}` }).click();
    await chair.waitForURL("**/admin/mail?**released=1");
    expect(await status(chair)).toContain("1 held message sent to the queue.");
    const accepted = await waitForMail(server, SPEAKER, "cfp.accepted");
    expect(accepted.text).toContain(TITLE);

    // 5. The speaker follows the confirmation link of the e-mail and confirms.
    const link = /https?:\/\/\S+\/cfp\/confirm\/[A-Za-z0-9_-]+/.exec(accepted.text)?.[0];
    expect(link?.startsWith(`${server.url}/cfp/confirm/`), `confirmation link in:\n${accepted.text}`).toBe(true);
    await speaker.goto(link!);
    expect(await speaker.getByText(`The committee accepted “${TITLE}”.`).count()).toBe(1);
    await speaker.getByRole("button", { name: "I confirm, I will present it" }).click();
    await speaker.waitForURL("**?done=confirmed");
    expect(await status(speaker)).toContain(`“${TITLE}” is confirmed.`);
    // The speaker is told at once that the session will be scheduled: one message for each step of the proposal so far.
    const thanks = await waitForMail(server, SPEAKER, "cfp.confirmed");
    expect(thanks.text).toContain(`the proposal “${TITLE}” is confirmed`);
    expect(thanks.text).toContain("Your session will be scheduled; you will be told when and where.");
    expect(
      (await readMailbox(mailboxOf(server)))
        .filter((m) => m.to.includes(SPEAKER) && m.template.startsWith("cfp."))
        .map((m) => m.template)
        .sort(),
    ).toEqual(["cfp.accepted", "cfp.confirmed", "cfp.submitted"]);
    const confirmed = row<{ state: string; sessionId: number }>(
      "select state, session_id as sessionId from proposals where id = ?",
      proposal.id,
    );
    expect(confirmed.state).toBe("confirmed");
    const session = row<{ slug: string; state: string; published: number; startsAt: number | null; roomId: number | null }>(
      "select slug, state, published, starts_at as startsAt, room_id as roomId from sessions where id = ? and title_en = ?",
      confirmed.sessionId,
      TITLE,
    );
    expect(session).toMatchObject({ state: "confirmed", published: 1, startsAt: null, roomId: null });
    expect(all("select speaker_id as id from session_speakers where session_id = ?", confirmed.sessionId)).toEqual([{ id: speakerRow.id }]);
    expect(await publicProgramme()).not.toContain(TITLE);
    await speaker.goto(proposalUrl);
    expect(await speaker.locator(".status-badge").first().textContent()).toBe("Confirmed");
    await chair.goto(`${server.url}/admin/cfp/${code}`);
    // The proposal links to its session in the editor.
    expect(await chair.locator(`main a[href="/admin/programme/sessions/${session.slug}"]`).count()).toBe(1);

    // 6. The organizer finds it among the sessions not placed yet and places it with the form.
    await chair.goto(`${server.url}/admin/programme/sessions`);
    await chair.getByLabel("Placement").selectOption("no");
    await chair.getByRole("button", { name: "Search", exact: true }).click();
    await chair.waitForURL("**placed=no**");
    await chair.getByRole("link", { name: TITLE }).click();
    await chair.waitForURL(`**/admin/programme/sessions/${session.slug}`);
    const room = row<{ id: number; name: string }>("select id, name from rooms order by position limit 1");
    await chair.locator("#f-day").selectOption(DAY);
    // After the demo's last session of the day, so that nothing overlaps.
    await chair.locator("#f-start").fill("17:30");
    await chair.locator("#f-end").fill("18:00");
    await chair.locator("#f-roomId").selectOption(String(room.id));
    await chair.getByRole("button", { name: "Save time and room" }).click();
    await expect.poll(() => status(chair)).toContain("Saved.");
    const at = (time: string) => zonedToInstant(DAY, time, edition.timezone).getTime();
    expect(
      row("select starts_at as startsAt, ends_at as endsAt, room_id as roomId from sessions where id = ?", confirmed.sessionId),
    ).toEqual({
      startsAt: at("17:30"),
      endsAt: at("18:00"),
      roomId: room.id,
    });
    // Placed, but the public still sees the last release.
    expect(await publicProgramme()).not.toContain(TITLE);
    expect((await fetch(`${server.url}/sessions/${session.slug}`)).status).toBe(404);

    // 7. The organizer publishes a release: the programme shows the session, the changelog lists it as added.
    await chair.goto(`${server.url}/admin/programme`);
    await chair.getByLabel("Comment in English (optional, shown in the changelog)").fill("Added the first talk from the call");
    await chair.getByRole("button", { name: "Publish a new version" }).click();
    await expect.poll(() => status(chair)).toContain("2");
    const visitor = (await newPage(browser, { javaScriptEnabled: false })).page;
    contexts.push(visitor.context());
    await visitor.goto(`${server.url}/programme`);
    expect(await visitor.getByRole("link", { name: TITLE }).count()).toBeGreaterThan(0);
    await visitor.goto(`${server.url}/sessions/${session.slug}`);
    expect(await visitor.locator("main").textContent()).toContain(room.name);
    await visitor.getByRole("link", { name: SPEAKER_NAME }).first().click();
    await visitor.waitForURL("**/speakers/**");
    expect(await visitor.getByRole("heading", { level: 1 }).textContent()).toContain(SPEAKER_NAME);
    expect(await visitor.locator("main").textContent()).toContain(TITLE);
    expect(await visitor.content()).not.toContain(SPEAKER);
    await visitor.goto(`${server.url}/changelog`);
    const latest = visitor.locator("main section, main article").filter({ hasText: "Added the first talk from the call" }).first();
    const entry = await latest.textContent();
    expect(entry).toContain(TITLE);
    expect(entry).toContain("Added");
    // The speaker is told when and where, as the confirmation page promised.
    const told = await waitForMail(server, SPEAKER, "programme.release");
    expect(told.text).toContain(`${TITLE}: scheduled for `);
    expect(told.text).toContain(`17:30–18:00, ${room.name}`);
    expect(told.attachments.map((a) => a.filename)).toEqual(["sessions.ics"]);
  });
});
