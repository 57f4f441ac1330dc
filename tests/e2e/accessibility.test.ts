// Every page of the site as each kind of visitor sees it (public, attendee, speaker, reviewer,
// check-in desk, organizer, error pages, forms refused by the server), in English and French, at
// 1280 and 390 px wide:
// - laid out right (tests/helpers/layout-probe.js): nothing wider than the window unless inside a
//   focusable, named scrolling region; no word broken over lines when its column could hold it
//   (the "one letter per line" of a squeezed column); every checkbox and radio beside its label;
// - after a refused form, an error summary first in the page, focused, counting its lines in the
//   page's language, each line naming the field it links to, and the page's title saying "Error";
// - no serious or critical axe-core violation at either width.
// One server, one browser, one context per visitor; each page is loaded once and measured at both
// widths; every problem of a page is reported, with its element. LAYOUT_SHOTS=<dir> also saves a
// full-page screenshot of every page at each width (and <dir>/report.txt); LAYOUT_ONLY=<regexp>
// keeps the pages whose path or label matches, while fixing one.
import { appendFileSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, skipBrowser } from "../helpers/browser.ts";
import { seedSite, type SiteWorld, type Visitor } from "../helpers/site-world.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { localizePath, t, type Locale } from "../../src/i18n/index.ts";
import { plural } from "../../src/i18n/plural.ts";

const PROBE = resolve("tests/helpers/layout-probe.js");
const AXE = resolve("node_modules/axe-core/axe.min.js");
const WIDTHS = [1280, 390] as const;
/**
 * The axe-core rules whose outcome depends on the layout (what is visible where, what overlaps,
 * what scrolls, how large targets are): they run at both widths. The others read the DOM and its
 * attributes alone, the same at every width: they run once a page, at the first width measured.
 */
const LAYOUT_RULES = [
  "color-contrast",
  "link-in-text-block",
  "scrollable-region-focusable",
  "target-size",
  "meta-viewport",
  "css-orientation-lock",
];
const SHOTS = process.env.LAYOUT_SHOTS;
const ONLY = process.env.LAYOUT_ONLY ? new RegExp(process.env.LAYOUT_ONLY) : undefined;

/** One page of the walk: where, as whom, the status it answers, and what to do there first. */
interface Stop {
  path: string;
  as: Visitor;
  status?: number;
  /** Run after loading (submit a form with errors, open a disclosure), before measuring. */
  act?: (page: Page, locale: Locale) => Promise<void>;
  /** A name for the report when the path alone does not tell (a form with errors). */
  label?: string;
  /** The languages to see it in (both unless told). */
  locales?: Locale[];
  /** The act sends a form the server refuses: its error summary is checked too. */
  refused?: boolean;
  /**
   * By language, an element that must be on the page: a text shown in the other language (not
   * translated yet), marked with its lang, e.g. `h1[lang="en"]` on a French page.
   */
  marked?: Partial<Record<Locale, string>>;
}

/**
 * Fills the form that holds `#<first key>` (values by control id: text, a select's value, or
 * true/false for a checkbox or radio) and sends it without the browser's own checks, so that the
 * server answers; waits for the answer's page.
 */
async function send(page: Page, fields: Record<string, string | boolean>, { native = false }: { native?: boolean } = {}) {
  const navigated = page.waitForEvent("framenavigated", (frame) => frame === page.mainFrame());
  await page.evaluate(
    ([fields, native]) => {
      const ids = Object.keys(fields);
      const form = (document.getElementById(ids[0]!) as HTMLInputElement | null)?.form;
      if (!form) throw new Error(`no form holds #${ids[0]}`);
      for (const [id, value] of Object.entries(fields)) {
        const control = document.getElementById(id) as HTMLInputElement;
        if (typeof value === "boolean") control.checked = value;
        else control.value = value;
      }
      form.noValidate = true;
      // `native`: the form as sent without JavaScript (its page's script, which would answer in place, is skipped).
      if (native) HTMLFormElement.prototype.submit.call(form);
      else form.requestSubmit();
    },
    [fields, native] as const,
  );
  await navigated;
  await page.waitForLoadState("load");
}

/** A form sent with what the server refuses (`fields` as for `send`): the page then shows its errors. */
function refused(path: string, as: Visitor, label: string, fields: Record<string, string | boolean>, native = false): Stop {
  return { path, as, label, refused: true, act: (page) => send(page, fields, { native }) };
}

function stopsOf(w: SiteWorld): Stop[] {
  const visitor = (path: string, status = 200): Stop => ({ path, as: "visitor", status });
  const organizer = (path: string): Stop => ({ path, as: "organizer" });
  return [
    // Public pages.
    visitor("/"),
    visitor("/programme?view=list"),
    // The keynote is not translated yet: French pages show its English texts with lang="en".
    { path: "/programme", as: "visitor", label: "programme, untranslated keynote", marked: { fr: '.session-card__title[lang="en"]' } },
    { path: `/sessions/${w.sessionSlug}`, as: "visitor", marked: { fr: 'h1[lang="en"]' } },
    visitor(`/sessions/${w.longSessionSlug}`),
    // A break, and a session for law enforcement only (as the public and as a police attendee see it).
    visitor("/sessions/coffee-break-morning-day-2"),
    visitor("/sessions/ransomware-affiliates-case-file"),
    visitor("/speakers"),
    visitor(`/speakers/${w.longSpeakerSlug}`),
    visitor("/about"),
    visitor("/venue"),
    visitor("/faq"),
    visitor("/code-of-conduct"),
    visitor("/privacy"),
    visitor("/changelog"),
    visitor("/register"),
    refused("/register?category=law-enforcement", "visitor", "registration refused", { "f-name": "", "f-email": "", "f-agency": "" }),
    visitor("/register/sent"),
    refused("/register/link", "visitor", "link request refused", { "f-email": "not-an-address" }),
    visitor("/register/link?sent=1"),
    visitor("/register/erased"),
    visitor("/cfp"),
    refused("/signin", "visitor", "sign-in refused", { "f-email": "not-an-address" }),
    refused("/signin/code", "visitor", "sign-in code refused", { "f-code": "" }),
    visitor(`/signin/link/${w.signInToken}`),
    visitor(`/cfp/invitation/${w.invitationToken}`),
    visitor("/no-such-page", 404),
    // The error page after a failure (the French one is the same page as the French 404 above).
    { path: "/500", as: "visitor", status: 500, locales: ["en"] },
    // A form refused by the server shows the page with its errors: the page without them is not
    // visited again. The attendee: the private link, the account, the agenda.
    { path: `/register/manage/${w.manageToken}`, as: "visitor" },
    refused(`/register/manage/${w.manageToken}`, "visitor", "details refused", { "f-name": "", "f-organisation": "" }),
    { path: `/register/manage/${w.manageToken}?cancel=1`, as: "visitor" },
    { path: `/register/manage/${w.pendingManageToken}`, as: "visitor" },
    { path: "/account", as: "attendee" },
    { path: "/sessions/ransomware-affiliates-case-file", as: "attendee", label: "restricted session as its audience" },
    { path: "/agenda", as: "attendee" },
    // The speaker.
    { path: "/cfp", as: "speaker" },
    refused("/cfp/profile", "speaker", "profile refused", { "f-name": "", "f-links": "ftp://nope" }),
    // The speaker writes in French, the draft in English only: each shown marked in the other language.
    { path: "/cfp/proposals", as: "speaker", marked: { en: '[lang="fr"]', fr: '[lang="en"]' } },
    refused("/cfp/proposals/new", "speaker", "new proposal refused", { "f-titleEn": "", "f-titleFr": "", "f-format": "" }),
    refused(`/cfp/proposals/${w.proposalCode}`, "speaker", "proposal edit refused", { "f-titleEn": "", "f-titleFr": "" }),
    refused(`/cfp/proposals/${w.proposalCode}`, "speaker", "invitation refused", { "f-email": "not-an-address" }),
    { path: `/cfp/proposals/${w.draftCode}`, as: "speaker", marked: { fr: 'h1[lang="en"]' } },
    { path: `/cfp/proposals/${w.acceptedCode}`, as: "speaker" },
    { path: `/cfp/confirm/${w.confirmToken}`, as: "speaker" },
    { path: `/cfp/late/${w.lateToken}`, as: "visitor" },
    // A staff member who still owes the second factor.
    refused("/signin/second-factor", "unverified", "second factor refused", { "f-code": "000000" }),
    // The reviewer.
    { path: "/admin/reviews", as: "reviewer", marked: { en: 'tbody [lang="fr"]' } },
    refused(`/admin/reviews/${w.proposalCode}`, "reviewer", "review refused", { "f-comment": "" }),
    // Saved, with the link to the next proposal.
    { path: `/admin/reviews/${w.proposalCode}?saved=1`, as: "reviewer" },
    { path: "/admin/registrations", as: "reviewer", status: 403 },
    // The check-in desk.
    // The desk's script answers a scan in place (tests/e2e/checkin-desk.test.ts walks those answers with axe);
    // here the page the form gets back without JavaScript.
    refused("/admin/checkin", "checkin", "ticket refused", { "f-ticket": "not-a-ticket" }, true),
    { path: `/admin/checkin?q=${encodeURIComponent(w.attendeeSearch)}`, as: "checkin" },
    { path: `/admin/checkin/${w.attendeeId}/badge`, as: "checkin" },
    { path: "/admin/checkin/badges", as: "checkin" },
    { path: "/admin/checkin/badges?layout=a4", as: "checkin" },
    // People inside (decision 38): counting off here; on, walked with axe by tests/e2e/checkin-doors.test.ts.
    { path: "/admin/checkin/presence", as: "checkin" },
    // The organizers.
    organizer("/admin"),
    refused("/admin/registrations", "organizer", "bulk decision refused", { "f-decision": "reject" }),
    // Refused by one of the ticked rows (an attendee already confirmed cannot be approved), which
    // stay ticked; the summary names that registration.
    {
      path: "/admin/registrations",
      as: "organizer",
      label: "bulk decision refused by a row",
      refused: true,
      act: async (page) => {
        const ids = await page.$$eval("tbody input[name=ids]", (boxes) => boxes.map((box) => box.id));
        await send(page, { ...Object.fromEntries(ids.map((id) => [id, true])), "f-decision": "approve" });
        await page.waitForSelector(".error-summary");
        expect(await page.$$eval("tbody input[name=ids]:checked", (boxes) => boxes.length)).toBe(ids.length);
      },
    },
    refused(`/admin/registrations/${w.attendeeId}`, "organizer", "decision refused", { "f-decision": "reject", "f-reason": "" }),
    organizer("/admin/statistics"),
    organizer("/admin/audit"),
    // The setting of entry and exit (decision 38), off.
    organizer("/admin/checkin/presence"),
    organizer("/admin/mail"),
    organizer("/admin/mail?state=held"),
    // A held message as it will go out.
    organizer(`/admin/mail/${w.heldMessageId}`),
    // Delivery problems, a group message going (its page, its members, then paused), a bounce.
    organizer("/admin/mail?delivery=problem"),
    organizer(`/admin/mail?group=${w.groupId}`),
    organizer("/admin/mail/groups"),
    organizer("/admin/mail/certificates"),
    {
      path: `/admin/mail/groups/${w.groupId}`,
      as: "organizer",
      label: "group message paused",
      locales: ["fr"],
      act: async (page) => {
        // Paused through its form, without JavaScript's help: the notice says so.
        const navigated = page.waitForEvent("framenavigated", (frame) => frame === page.mainFrame());
        await page.locator("form.inline-form button").first().click();
        await navigated;
        expect(await page.locator("[role=status]").first().textContent()).toMatch(/en pause/);
      },
    },
    { path: `/admin/mail/groups/${w.groupId}`, as: "organizer", locales: ["en"] },
    organizer(`/admin/registrations/${w.bouncedRegistrationId}`),
    refused("/admin/mail/compose", "organizer", "group message refused", { "f-subjectEn": "", "f-country": "France" }),
    refused("/admin/staff", "organizer", "staff invitation refused", { "f-email": "" }),
    organizer("/admin/webhooks"),
    refused("/admin/webhooks", "organizer", "webhook refused", { "f-url": "ftp://example.org", "f-description": "" }),
    {
      path: "/admin/webhooks",
      as: "organizer",
      label: "webhook added, its secret shown",
      act: async (page) => {
        await page.check("#f-events");
        await send(page, { "f-url": "https://93.184.216.34/forum-hooks", "f-description": "Press office" });
      },
    },
    organizer(`/admin/webhooks/${w.webhookId}`),
    refused(`/admin/webhooks/${w.webhookId}`, "organizer", "webhook settings refused", { "e-url": "https://[::1]/hook" }),
    organizer("/admin/programme"),
    // Publishing over the double-booked room's warning asks to confirm it first.
    {
      path: "/admin/programme",
      as: "organizer",
      label: "publish over warnings",
      act: async (page) => {
        await send(page, { "f-commentEn": "A room used twice", "f-commentFr": "Une salle occupée deux fois" });
        await page.waitForSelector(".publish-confirm");
      },
    },
    organizer("/admin/programme/preview"),
    { path: "/admin/programme/sessions", as: "organizer", marked: { fr: 'tbody a[lang="en"]' } },
    refused("/admin/programme/sessions/new", "organizer", "new session refused", { "f-titleEn": "", "f-titleFr": "" }),
    refused(`/admin/programme/sessions/${w.longSessionSlug}`, "organizer", "schedule refused", { "f-start": "16:00", "f-end": "15:00" }),
    organizer("/admin/programme/schedule"),
    refused("/admin/programme/rooms", "organizer", "new room refused", { "f-name": "", "f-capacity": "-3" }),
    organizer("/admin/programme/tracks"),
    organizer("/admin/programme/formats"),
    // The embeddable schedule's snippet and its live preview (decision 43); the widget on another site: tests/e2e/embed.test.ts.
    organizer("/admin/programme/embed"),
    organizer("/admin/programme/speakers"),
    refused("/admin/programme/speakers/new", "organizer", "new speaker refused", { "f-name": "", "f-email": "not-an-address" }),
    organizer(`/admin/programme/speakers/${w.longSpeakerSlug}`),
    {
      ...refused("/admin/cfp", "organizer", "proposals decision refused", { "f-decision": "accepted" }),
      marked: { en: 'tbody a[lang="fr"]' },
    },
    refused(`/admin/cfp/${w.proposalCode}`, "organizer", "message refused", { "f-body": "" }),
    organizer(`/admin/cfp/${w.acceptedCode}`),
    // After a late-submission link was sent.
    organizer("/admin/cfp/settings?late=2013-06-30T21:59:00.000Z"),
    refused("/admin/cfp/settings", "organizer", "criterion refused", {
      "f-nameEn": "",
      "f-scaleMin": "5",
      "f-scaleMax": "2",
      "f-weight": "0",
    }),
    refused("/admin/cfp/settings", "organizer", "late link refused", { "f-email": "not-an-address", "f-days": "0" }),
    refused("/admin/cfp/reviewers", "organizer", "assignment refused", { "f-scope-proposal": true, "f-code": "" }),
  ];
}

describe.skipIf(skipBrowser)(browserSuite("every page at 1280 and 390 px, in English and French"), () => {
  let server: TestServer;
  let browser: Browser;
  let world: SiteWorld;
  const contexts = new Map<Visitor, BrowserContext>();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    world = await seedSite(server);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      rmSync(join(SHOTS, "report.txt"), { force: true });
    }
  });
  afterAll(async () => {
    for (const context of contexts.values()) await context.close();
    await browser?.close();
    world?.close();
    await server?.stop();
  });

  /** The visitor's context: their session cookie, the probe and axe-core in every page. */
  async function contextOf(as: Visitor): Promise<BrowserContext> {
    let context = contexts.get(as);
    if (context) return context;
    // axe-core and the probe are injected; the site's CSP rightly forbids scripts it did not ship.
    context = await browser.newContext({ bypassCSP: true, locale: "en-GB", viewport: { width: WIDTHS[0], height: 900 } });
    context.setDefaultTimeout(10_000);
    await context.addInitScript({ path: PROBE });
    await context.addInitScript({ path: AXE });
    const cookie = world.sessions[as];
    if (cookie) await context.addCookies([{ name: "forum_session", value: cookie, url: server.url }]);
    contexts.set(as, context);
    return context;
  }

  interface Problem {
    kind: string;
    selector: string;
    text: string;
    detail: string;
  }

  /**
   * What is wrong with the error summary of a refused form: not first, not focused, a line that does
   * not name its field or links nowhere, a heading that miscounts, a page title that does not say so.
   */
  async function summaryProblems(page: Page, locale: Locale): Promise<string[]> {
    const seen = await page.evaluate(() =>
      (
        globalThis as unknown as { errorSummaryProbe(): { problems: string[]; heading?: string; lines?: string[]; title?: string } }
      ).errorSummaryProbe(),
    );
    const problems = [...seen.problems];
    if (!seen.lines) return problems;
    const m = t(locale);
    const heading = plural(m.intl, seen.lines.length, m.errorSummary.title);
    if (seen.heading !== heading) problems.push(`the heading says “${seen.heading}” for ${seen.lines.length} line(s), not “${heading}”`);
    const prefix = m.errorSummary.documentTitle("");
    if (!seen.title!.startsWith(prefix)) problems.push(`the page's title “${seen.title}” does not start with “${prefix}”`);
    return problems;
  }

  /** A screenshot's file name: the page's label or path, its codes and tokens by their names. */
  function shotName(stop: Stop): string {
    let name = stop.label ?? stop.path;
    for (const [key, value] of Object.entries(world))
      if (typeof value === "string" && value.length >= 6) name = name.replaceAll(value, key);
    return name.replace(/[^a-z0-9]+/gi, "_").slice(0, 80);
  }

  /** Every layout problem and serious or critical axe violation of `stop` in `locale`, at every width. */
  async function visit(page: Page, stop: Stop, locale: Locale): Promise<string[]> {
    const where = `${locale.toUpperCase()} ${stop.label ? `${stop.label} (${stop.path})` : stop.path}`;
    const found: string[] = [];
    // The page is loaded at the width the previous one ended at, which saves a resize a page.
    const widths = page.viewportSize()?.width === WIDTHS[1] ? [WIDTHS[1], WIDTHS[0]] : [...WIDTHS];
    const response = await page.goto(server.url + localizePath(stop.path, locale));
    if (response?.status() !== (stop.status ?? 200)) return [`${where}: answered ${response?.status()}, expected ${stop.status ?? 200}`];
    if (stop.act) await stop.act(page, locale);
    if (stop.refused) found.push(...(await summaryProblems(page, locale)).map((p) => `${where}: error summary: ${p}`));
    const marked = stop.marked?.[locale];
    if (marked && (await page.locator(marked).count()) === 0) found.push(`${where}: no ${marked} (a text in the other language, marked)`);
    for (const width of widths) {
      if (width !== page.viewportSize()?.width) await page.setViewportSize({ width, height: 900 });
      const problems = await page.evaluate(() => (globalThis as unknown as { layoutProbe(): Problem[] }).layoutProbe());
      for (const p of problems) found.push(`${where} at ${width}px: ${p.kind} ${p.selector} “${p.text}”: ${p.detail}`);
      // Every rule at the first width measured (the DOM rules answer the same at any width), then
      // the rules whose outcome depends on the layout at the other.
      const rules = width === widths[0] ? undefined : LAYOUT_RULES;
      const violations = await page.evaluate(async (rules) => {
        const axe = (globalThis as unknown as { axe: { run(c: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
        const result = await axe.run(document, {
          resultTypes: ["violations"],
          ...(rules ? { runOnly: { type: "rule", values: rules } } : {}),
        });
        return result.violations
          .filter((v) => v.impact === "serious" || v.impact === "critical")
          .map(
            (v) =>
              `${v.impact} ${v.id} at ${v.nodes
                .slice(0, 5)
                .map((n) => JSON.stringify(n.target))
                .join(", ")}`,
          );
      }, rules);
      for (const v of violations) found.push(`${where} at ${width}px: axe ${v}`);
      if (SHOTS) await page.screenshot({ path: join(SHOTS, `${stop.as}-${locale}-${width}-${shotName(stop)}.png`), fullPage: true });
    }
    return found;
  }

  interface AxeViolation {
    id: string;
    impact: string | null;
    nodes: { target: unknown[] }[];
  }

  const groups: Visitor[] = ["visitor", "attendee", "speaker", "unverified", "reviewer", "checkin", "organizer"];
  /** Pages measured at once: the server renders one while the browser measures another. */
  const WORKERS = 2;
  it.each(groups)(
    "the %s's pages",
    async (as) => {
      const jobs = stopsOf(world)
        .filter((s) => s.as === as && (!ONLY || ONLY.test(s.label ?? s.path)))
        .flatMap((stop) => (stop.locales ?? (["en", "fr"] as const)).map((locale) => ({ stop, locale })));
      const found: string[][] = jobs.map(() => []);
      const context = await contextOf(as);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(WORKERS, jobs.length) }, async () => {
          const page = await context.newPage();
          try {
            for (let i = next++; i < jobs.length; i = next++) found[i] = await visit(page, jobs[i]!.stop, jobs[i]!.locale);
          } finally {
            await page.close();
          }
        }),
      );
      if (SHOTS)
        appendFileSync(
          join(SHOTS, "report.txt"),
          found
            .flat()
            .map((line) => `${line}\n`)
            .join(""),
        );
      expect(found.flat()).toEqual([]);
    },
    600_000,
  );
});
