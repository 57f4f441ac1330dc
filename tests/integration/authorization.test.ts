// The authorization matrix: every page and export under /admin (found on disk, so a new one is
// covered without editing this file), requested by each kind of visitor. Only an organizer who has
// given the second factor gets in; the others are sent to sign in, to the second factor, or refused.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../db/schema/auth.ts";
import { postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts, totpOf } from "../helpers/session.ts";

/** URL paths of the route files under src/pages/admin (and /fr), dynamic segments filled with `id`. */
function adminRoutes(id: number): { dynamic: boolean; path: string }[] {
  const routes: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(astro|ts)$/.test(name) && !name.endsWith(".test.ts")) routes.push(relative("src/pages", path));
    }
  };
  walk("src/pages/admin");
  walk("src/pages/fr/admin");
  return routes
    .map((file) => [file.includes("[") && !file.includes("registrations/"), file] as const)
    .map(([dynamic, file]) => ({
      dynamic,
      path: (
        "/" +
        file
          .replace(/\.astro$|\.ts$/, "")
          .replace(/(^|\/)index$/, "")
          .replace(/\[[^\]]+\]/g, String(id))
      ).replace(/\/$/, ""),
    }));
}

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let registrationId: number;
const clients: Record<string, Client> = {};

async function signIn(email: string, roles: Role[] = [], secondFactor = true): Promise<Client> {
  const { linkToken } = accounts.account(email, roles);
  const client = new Client(server);
  expect((await client.post(`/signin/link/${linkToken}?_action=signInWithLink`, { token: linkToken, next: "/" })).status).toBe(303);
  if (roles.length && secondFactor) {
    const page = await (await client.get("/signin/second-factor")).text();
    const key = /<code>([A-Z2-7 ]{20,})<\/code>/.exec(page)![1];
    const sealedKey = /name="sealedKey" value="([^"]+)"/.exec(page)![1];
    expect((await client.post("/signin/second-factor?_action=enrolSecondFactor", { sealedKey, code: totpOf(key) })).status).toBe(200);
  }
  return client;
}

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off" });
  accounts = serverAccounts(server);
  const email = "matrix@example.org";
  expect((await postForm(server, "/register?_action=register", registrationFields(email))).status).toBe(303);
  const data = serverDb(server);
  registrationId = (data.db.prepare("select id from registrations where email = ?").get(email) as { id: number }).id;
  data.close();
  clients.anonymous = new Client(server);
  clients.plain = await signIn("plain@example.org");
  clients.reviewer = await signIn("reviewer@example.org", ["reviewer"]);
  clients.checkin = await signIn("checkin@example.org", ["checkin"]);
  clients.organizerWithoutSecondFactor = await signIn("half@example.org", ["organizer"], false);
  clients.organizer = await signIn("organizer@example.org", ["organizer"]);
});
afterAll(async () => {
  accounts?.close();
  await server?.stop();
});

describe("authorization of the organizers' area", () => {
  it("finds the routes on disk", () => {
    const routes = adminRoutes(1).map((r) => r.path);
    expect(routes).toContain("/admin");
    expect(routes).toContain("/admin/registrations/1");
    expect(routes).toContain("/fr/admin/registrations");
  });

  it("answers every route for every kind of visitor as the guard says", async () => {
    const failures: string[] = [];
    for (const { path, dynamic } of adminRoutes(registrationId)) {
      for (const [who, client] of Object.entries(clients)) {
        const response = await client.get(path);
        await response.arrayBuffer();
        const location = response.headers.get("location") ?? "";
        const ok =
          who === "organizer"
            ? // A dynamic route other than a registration's (a mail preview) has nothing under this id.
              response.status === 200 || (dynamic && response.status === 404)
            : who === "anonymous"
              ? response.status === 303 && /^(\/fr)?\/signin\?next=/.test(location)
              : who === "organizerWithoutSecondFactor"
                ? response.status === 303 && /^(\/fr)?\/signin\/second-factor\?next=/.test(location)
                : response.status === 403;
        if (!ok) failures.push(`${path} as ${who}: ${response.status} ${location}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("the private pages are never stored by caches", async () => {
    for (const { path } of adminRoutes(registrationId)) {
      const response = await clients.organizer.get(path);
      await response.arrayBuffer();
      expect(response.headers.get("cache-control"), path).toContain("no-store");
    }
  });
});
