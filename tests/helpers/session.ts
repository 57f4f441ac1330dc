import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateTOTP } from "@oslojs/otp";
import { openDatabase } from "../../db/client.ts";
import type { Role } from "../../db/schema/auth.ts";
import { createSignInChallenge } from "../../src/lib/auth/sign-in.ts";
import { addUser, findOrCreateUser } from "../../src/lib/auth/users.ts";
import { loadAppKey } from "../../src/lib/security/secrets.ts";
import { postForm } from "./forms.ts";
import type { TestServer } from "./server.ts";

/** A browser-like client for one test server: keeps cookies, sends same-site Origin on posts. */
export class Client {
  readonly cookies = new Map<string, string>();
  readonly server: TestServer;
  constructor(server: TestServer) {
    this.server = server;
  }

  private remember(response: Response): Response {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const [name, value] = pair.split("=");
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(header) || value === "" || value === "deleted") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string): Promise<Response> {
    return this.remember(await fetch(this.server.url + path, { redirect: "manual", headers: { Cookie: this.cookieHeader } }));
  }

  async post(path: string, fields: Record<string, string | string[]>): Promise<Response> {
    return this.remember(await postForm(this.server, path, fields, { Cookie: this.cookieHeader }));
  }
}

/** Direct access to a test server's database with the domain functions (accounts, challenges). */
export function serverAccounts(server: TestServer) {
  const db = openDatabase(server.databasePath);
  const appKey = loadAppKey(server.databasePath);
  return {
    db,
    appKey,
    /** Creates (or completes) an account with `roles` and returns a fresh sign-in link token and code. */
    account(email: string, roles: Role[] = []) {
      if (roles.length) addUser(db, { email, roles });
      else findOrCreateUser(db, email);
      return createSignInChallenge(db, appKey, email);
    },
    close: () => db.$client.close(),
  };
}

/** The current TOTP code of a base32 manual key as shown on the enrolment page ("ABCD EFGH ..."). */
export function totpOf(manualKey: string): string {
  return generateTOTP(decodeBase32IgnorePadding(manualKey.replace(/\s+/g, "").toUpperCase()), 30, 6);
}

/** The manual key and the sealed key of the second factor's enrolment page. */
export function enrolmentOf(html: string): { key: string; sealedKey: string } {
  return {
    key: /<code>([A-Z2-7 ]{20,})<\/code>/.exec(html)![1]!,
    sealedKey: /name="sealedKey" value="([^"]+)"/.exec(html)![1]!,
  };
}
