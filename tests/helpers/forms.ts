import { join } from "node:path";
import Database from "better-sqlite3";
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import { loadAppKey, deriveSecret } from "../../src/lib/security/secrets.ts";
import type { TestServer } from "./server.ts";

/** Posts a form as a browser does (same-site Origin, urlencoded body), without following redirects. */
export function postForm(
  server: TestServer,
  path: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
) {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
  return fetch(server.url + path, {
    method: "POST",
    redirect: "manual",
    headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body,
  });
}

/** A valid registration form of `category`. */
export function registrationFields(email: string, category = "industry", overrides: Record<string, string> = {}): Record<string, string> {
  const own: Record<string, Record<string, string>> = {
    "law-enforcement": { agency: "Cybercrime unit", position: "Inspector", officialEmail: email },
    industry: { company: "Example SA", role: "CISO" },
    researcher: { institution: "Université Example" },
    "policy-maker": { policyBody: "Ministry of Examples" },
  };
  return {
    category,
    name: "Ada Example",
    email,
    organisation: "Example Org",
    country: "FR",
    language: "en",
    dietary: "",
    accessibility: "",
    privacyConsent: "on",
    website: "",
    ...own[category],
    ...overrides,
  };
}

/** Read access to a test server's database (its own connection; WAL lets both work). */
export function serverDb(server: TestServer) {
  const db = new Database(server.databasePath);
  db.pragma("busy_timeout = 5000");
  const key = loadAppKey(server.databasePath);
  return {
    db,
    count: (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n,
    /** The private link a message to `email` carries (the latest one unless `template` is given). */
    linkTokenOf(email: string, template?: string): string {
      const row = db
        .prepare(`select payload from outbox where recipient = ? ${template ? "and template = ?" : ""} order by rowid desc limit 1`)
        .get(...(template ? [email, template] : [email])) as { payload: string } | undefined;
      if (!row) throw new Error(`no message to ${email}`);
      return deriveSecret(key, "manage", JSON.parse(row.payload).manageNonce);
    },
    close: () => db.close(),
  };
}

/** The directory of a test server's data (database, mailbox, key). */
export const mailboxOf = (server: TestServer) => join(server.dataDir, "mailbox");

/** Waits for the worker to deliver a message of `template` to `email` into the mailbox, and returns it. */
export async function waitForMail(server: TestServer, email: string, template: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const message = (await readMailbox(mailboxOf(server))).find((m) => m.to.includes(email) && m.template === template);
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`no ${template} message to ${email} in the mailbox`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
