// The check-in desk in Chromium under the site's real Content-Security-Policy (decision 31): a camera
// (Chromium's fake one, filming a real ticket's QR code) read by the WebAssembly polyfill where the
// browser has no BarcodeDetector; a keyboard-wedge scanner typing codes; a network cut bridged by
// the service worker and the encrypted queue, each scan on the server once when the network is back.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import QRCode from "qrcode";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { browserSuite, CHROMIUM_ARGS, CHROMIUM_PATH, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { startNetworkCut } from "../helpers/network-cut.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

/** A Y4M video (4:2:0, 640x480, a few identical frames) of `text` as a QR code, black on white. */
function qrVideo(text: string, path: string): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  const [width, height, scale, quiet] = [640, 480, 10, 4];
  const side = (size + 2 * quiet) * scale;
  const [left, top] = [(width - side) / 2, (height - side) / 2];
  const y = Buffer.alloc(width * height, 235);
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++)
      if (qr.modules.get(row, col))
        for (let dy = 0; dy < scale; dy++)
          y.fill(
            16,
            (top + (quiet + row) * scale + dy) * width + left + (quiet + col) * scale,
            (top + (quiet + row) * scale + dy) * width + left + (quiet + col + 1) * scale,
          );
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`), ...Array(10).fill(frame)]));
}

describe.skipIf(skipBrowser)(browserSuite("check-in desk: polyfill, scanners, offline"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let who: ReturnType<typeof people>;
  let session: string;
  const dir = mkdtempSync(join(tmpdir(), "forum-desk-video-"));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" }), launchBrowser()]);
    accounts = serverAccounts(server);
    who = people(server, accounts);
    session = (await who.staff("desk.e2e@example.org", ["checkin"])).cookies.get("forum_session")!;
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ticketOf = (id: number) =>
    ticketSecretOf(
      accounts.appKey,
      accounts.db.$client.prepare("select ticket_nonce as ticketNonce from registrations where id = ?").get(id) as { ticketNonce: string },
    );
  const checkedIn = (id: number) =>
    (accounts.db.$client.prepare("select checked_in_at as at from registrations where id = ?").get(id) as { at: number | null }).at;
  const count = (query: string, ...params: unknown[]) => (accounts.db.$client.prepare(query).get(...params) as { n: number }).n;

  function watch(page: Page) {
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    return errors;
  }
  const answer = (page: Page) => page.locator("[data-desk-answer]");

  it("reads a real ticket's QR code with the WebAssembly polyfill where BarcodeDetector is missing, from the site itself", async () => {
    const id = await who.register("camera@example.org", "industry", { overrides: { name: "Camille Caméra", organisation: "Optique SA" } });
    const video = join(dir, "ticket.y4m");
    qrVideo(ticketOf(id), video);
    const camera = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`,
      ],
      timeout: 60_000,
    });
    try {
      const context = await camera.newContext({ locale: "en-GB" });
      context.setDefaultTimeout(20_000);
      await context.grantPermissions(["camera"], { origin: server.url });
      await context.addCookies([{ name: "forum_session", value: session, url: server.url }]);
      const page = await context.newPage();
      const errors = watch(page);
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      await page.addInitScript(() => {
        delete (globalThis as { BarcodeDetector?: unknown }).BarcodeDetector;
      });
      await page.goto(`${server.url}/admin/checkin`);
      expect(await page.evaluate(() => "BarcodeDetector" in globalThis)).toBe(false);
      await page.click("[data-scan-toggle]");
      await expect.poll(() => answer(page).getAttribute("class"), { timeout: 20_000 }).toContain("desk-answer--admitted");
      expect(await answer(page).textContent()).toContain("Camille Caméra");
      expect(await answer(page).textContent()).toContain("Optique SA");
      expect(await answer(page).textContent()).toContain("Industry");
      expect(checkedIn(id)).not.toBeNull();
      // The WebAssembly came from this site, and nothing from anywhere else.
      expect(requests.some((url) => url.startsWith(server.url) && url.endsWith(".wasm"))).toBe(true);
      expect(requests.filter((url) => !url.startsWith(server.url) && !url.startsWith("blob:") && !url.startsWith("data:"))).toEqual([]);
      expect(errors.filter((e) => /Content Security Policy|WebAssembly/i.test(e))).toEqual([]);
      await context.close();
    } finally {
      await camera.close();
    }
  });

  it("takes a keyboard-wedge scanner's codes one after the other: green, amber with time and desk, red with the state", async () => {
    const ada = await who.register("wedge.ada@example.org", "industry", { overrides: { name: "Ada Wedge", organisation: "Wedge Org" } });
    const gone = await who.register("wedge.gone@example.org", "industry", { overrides: { name: "Gus Gone" } });
    accounts.db.$client.prepare("update registrations set status = 'cancelled', seat_held = 0 where id = ?").run(gone);
    const { context, page } = await newPage(browser);
    try {
      await context.addCookies([{ name: "forum_session", value: session, url: server.url }]);
      const errors = watch(page);
      await page.goto(`${server.url}/fr/admin/checkin`);
      // Once the desk is ready: before, its focus on the ticket field (now only when nothing else
      // has the focus) could land between fill's focus on the label and its typing, and the label
      // went into the ticket ("3" + the code: refused). The same for the offline test below.
      await page.waitForSelector("[data-desk][data-ready]");
      await page.fill("#f-desk", "3");
      await page.locator("#f-desk").dispatchEvent("change");
      await page.focus("#f-ticket");
      await page.keyboard.type(`${ticketOf(ada)}\n`);
      await expect.poll(() => answer(page).getAttribute("class")).toContain("desk-answer--admitted");
      expect(await answer(page).textContent()).toContain("Ada Wedge");
      expect(await answer(page).textContent()).toContain("Admis");
      // Focus is back in the empty field for the next ticket.
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-ticket");
      expect(await page.inputValue("#f-ticket")).toBe("");
      await page.keyboard.type(`${ticketOf(ada)}\n`);
      await expect.poll(() => answer(page).getAttribute("class")).toContain("desk-answer--already");
      expect(await answer(page).textContent()).toMatch(/Arrivée déjà enregistrée à \d\d:\d\d au poste 3\./);
      await page.keyboard.type(`${ticketOf(gone)}\n`);
      await expect.poll(() => answer(page).getAttribute("class")).toContain("desk-answer--refused");
      expect(await answer(page).textContent()).toContain("L’inscription a été annulée.");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-ticket");
      expect(count("select count(*) as n from checkin_scans where registration_id = ? and outcome = 'admitted' and desk = '3'", ada)).toBe(
        1,
      );
      expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("keeps working through a network cut (a reload included) and, back online, the server has each scan once", async () => {
    const ids = await Promise.all(
      ["one", "two", "three"].map((n) => who.register(`offline.${n}@example.org`, "industry", { overrides: { name: `Offline ${n}` } })),
    );
    const elsewhere = await who.register("offline.elsewhere@example.org", "industry", { overrides: { name: "Elsa Elsewhere" } });
    // Its own account: the test ends by signing out.
    const own = (await who.staff("desk.offline@example.org", ["checkin"])).cookies.get("forum_session")!;
    const { context, page } = await newPage(browser);
    // The network cut: the browser offline (navigator.onLine, the offline event) and the site's
    // relay cut, so that no request reaches the server, the service worker's neither (Chromium's
    // offline emulation alone let a scan the service worker passed on through).
    const net = await startNetworkCut(server.url);
    const site = net.url;
    const cut = async (off: boolean) => {
      if (off) net.cut();
      else net.mend();
      await context.setOffline(off);
    };
    try {
      await context.addCookies([{ name: "forum_session", value: own, url: site }]);
      await page.goto(`${site}/admin/checkin`);
      await page.waitForSelector("[data-desk][data-ready]");
      await page.fill("#f-desk", "7");
      await page.locator("#f-desk").dispatchEvent("change");
      // The service worker holds the page, and the roster is loaded.
      await expect
        .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration("/admin/checkin"))?.active != null))
        .toBe(true);
      await expect
        .poll(() => page.evaluate(async () => (await (await caches.open("forum-desk-v1")).match("/admin/checkin")) !== undefined))
        .toBe(true);
      await expect.poll(() => page.locator("[data-desk-network]").textContent()).toBe("Online");
      // The day's roster is loaded (the desk marks itself ready after its first refresh): what it
      // answers offline from.
      await page.waitForSelector("[data-desk][data-ready]");
      await cut(true);
      // Meanwhile, another desk checks Elsa in.
      accounts.db.$client
        .prepare("update registrations set checked_in_at = ?, updated_at = ? where id = ?")
        .run(Date.now(), Date.now(), elsewhere);
      for (const id of [ids[0], ids[1], elsewhere]) {
        await page.focus("#f-ticket");
        await page.keyboard.type(`${ticketOf(id)}\n`);
        await expect.poll(() => answer(page).getAttribute("data-nonce")).not.toBe(null);
        await expect
          .poll(() => answer(page).textContent())
          .toContain(id === elsewhere ? "Elsa Elsewhere" : `Offline ${id === ids[0] ? "one" : "two"}`);
      }
      expect(await answer(page).textContent()).toContain("Offline: recorded on this device");
      await expect.poll(() => page.locator("[data-desk-queue]").textContent()).toBe("3 scans waiting to be sent.");
      // A reload while the network is cut: the service worker gives the page, the device its queue.
      await page.reload();
      await page.waitForSelector("[data-desk][data-ready]");
      await expect.poll(() => page.locator("[data-desk-queue]").textContent()).toBe("3 scans waiting to be sent.");
      await page.focus("#f-ticket");
      await page.keyboard.type(`${ticketOf(ids[2])}\n`);
      await expect.poll(() => answer(page).textContent()).toContain("Offline three");
      expect(await answer(page).getAttribute("class")).toContain("desk-answer--admitted");
      for (const id of ids) expect(checkedIn(id)).toBeNull();
      // What the device keeps is not readable as text.
      const kept = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            const open = indexedDB.open("forum-desk");
            open.onsuccess = () => {
              const get = open.result.transaction("kv").objectStore("kv").get("state");
              get.onsuccess = () => {
                open.result.close();
                resolve(new TextDecoder().decode(get.result.data));
              };
            };
          }),
      );
      expect(kept).not.toContain("Offline one");
      await cut(false);
      await expect
        .poll(() => count(`select count(*) as n from checkin_scans where registration_id in (${ids.join(",")}) and outcome = 'admitted'`), {
          timeout: 20_000,
        })
        .toBe(3);
      await expect.poll(() => page.locator("[data-desk-queue]").textContent()).toBe("");
      // Elsa was checked in elsewhere meanwhile: shown to staff.
      await expect.poll(() => page.locator("[data-desk-conflicts]").isVisible()).toBe(true);
      expect(await page.locator("[data-desk-conflicts]").textContent()).toContain("Elsa Elsewhere had already been checked in");
      for (const id of ids) {
        expect(checkedIn(id)).not.toBeNull();
        expect(count("select count(*) as n from audit_log where action = 'registration.checkin' and subject_id = ?", String(id))).toBe(1);
      }
      // Signing out from the desk erases what it kept.
      await page.click("[data-desk-signout] button");
      await page.waitForURL(`${site}/`);
      expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).not.toContain("forum-desk");
    } finally {
      await context.close();
      await net.close();
    }
  });

  it.each(["en", "fr"])("the live desk after each kind of answer has no serious or critical axe violation (%s)", async (locale) => {
    const prefix = locale === "fr" ? "/fr" : "";
    const ok = await who.register(`axe.ok.${locale}@example.org`, "law-enforcement", { overrides: { name: `Axe Ok ${locale}` } });
    accounts.db.$client.prepare("update registrations set status = 'confirmed', seat_held = 1 where id = ?").run(ok);
    const refused = await who.register(`axe.no.${locale}@example.org`, "industry", { overrides: { name: `Axe No ${locale}` } });
    accounts.db.$client.prepare("update registrations set status = 'waitlisted', seat_held = 0 where id = ?").run(refused);
    const { context, page } = await newPage(browser, { bypassCSP: true });
    try {
      await context.addCookies([{ name: "forum_session", value: session, url: server.url }]);
      await page.goto(`${server.url}${prefix}/admin/checkin`);
      for (const [code, outcome] of [
        [ticketOf(ok), "admitted"],
        [ticketOf(ok), "already"],
        [ticketOf(refused), "refused"],
      ] as const) {
        await page.focus("#f-ticket");
        await page.keyboard.type(`${code}\n`);
        await expect.poll(() => answer(page).getAttribute("class")).toContain(`desk-answer--${outcome}`);
        await page.addScriptTag({ path: resolve("node_modules/axe-core/axe.min.js") });
        const violations = await page.evaluate(async () => {
          const axe = (globalThis as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string; impact: string }[] }> } })
            .axe;
          return (await axe.run(document)).violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
        });
        expect(violations, `${locale} ${outcome}`).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });
});
