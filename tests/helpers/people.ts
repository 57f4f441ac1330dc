import { expect } from "vitest";
import type { Role } from "../../db/schema/auth.ts";
import { postForm, registrationFields, serverDb } from "./forms.ts";
import type { TestServer } from "./server.ts";
import { Client, serverAccounts, totpOf } from "./session.ts";

/**
 * The people of the audience tests, signed in over HTTP against one test server: plain accounts,
 * staff who gave the second factor, and attendees registered and confirmed through the site's own
 * forms (law-enforcement ones approved by an organizer through the registration desk).
 */
export function people(server: TestServer, accounts: ReturnType<typeof serverAccounts>) {
  /** `email` signed in through a one-time link (staff still owe the second factor). */
  async function signedIn(email: string, roles: Role[] = []): Promise<Client> {
    const { linkToken } = accounts.account(email, roles);
    const client = new Client(server);
    const response = await client.post(`/signin/link/${linkToken}?_action=signInWithLink`, { token: linkToken, next: "/account" });
    expect(response.status).toBe(303);
    expect(client.cookies.has("forum_session")).toBe(true);
    return client;
  }

  /** A staff member who enrolled (and so gave) the second factor in this session. */
  async function staff(email: string, roles: Role[]): Promise<Client> {
    const client = await signedIn(email, roles);
    const page = await (await client.get("/signin/second-factor")).text();
    const key = /<code>([A-Z2-7 ]{20,})<\/code>/.exec(page)![1];
    const sealedKey = /name="sealedKey" value="([^"]+)"/.exec(page)![1];
    const enrolled = await client.post("/signin/second-factor?_action=enrolSecondFactor", { sealedKey, code: totpOf(key) });
    expect(enrolled.status).toBe(200);
    return client;
  }

  /** Registers `email` in `category` and confirms the address by the link of the e-mail; returns the registration id. */
  async function registerAndConfirm(email: string, category: string): Promise<number> {
    expect((await postForm(server, "/register?_action=register", registrationFields(email, category))).status).toBe(303);
    const data = serverDb(server);
    try {
      const token = data.linkTokenOf(email);
      expect((await postForm(server, `/register/manage/${token}?_action=confirmRegistration`, { token })).status).toBe(303);
      return (data.db.prepare("select id from registrations where email = ?").get(email) as { id: number }).id;
    } finally {
      data.close();
    }
  }

  /** The state of the registration `id` now. */
  function statusOf(id: number): string {
    const data = serverDb(server);
    try {
      return (data.db.prepare("select status from registrations where id = ?").get(id) as { status: string }).status;
    } finally {
      data.close();
    }
  }

  /** An organizer approves the registration `id` through the registration desk's form. */
  async function approve(organizer: Client, id: number): Promise<void> {
    const response = await organizer.post("/admin/registrations?_action=decideRegistrations", {
      ids: String(id),
      decision: "approve",
      reason: "",
    });
    expect(response.status).toBe(303);
    expect(statusOf(id)).toBe("confirmed");
  }

  return { signedIn, staff, registerAndConfirm, statusOf, approve };
}
