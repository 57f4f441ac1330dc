import { expect } from "vitest";
import type { Role } from "../../db/schema/auth.ts";
import { postForm, registrationFields, serverDb } from "./forms.ts";
import type { TestServer } from "./server.ts";
import { Client, enrolmentOf, serverAccounts, totpOf } from "./session.ts";

/**
 * The people of the HTTP tests, signed in against one test server: plain accounts, staff with or
 * without the second factor, and attendees registered (and confirmed) through the site's own forms
 * (law-enforcement ones approved by an organizer through the registration desk).
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

  /**
   * A staff member who enrolled (and so gave) the second factor in this session. (A staff member who
   * has not given it yet is `signedIn(email, roles)`.)
   */
  async function staff(email: string, roles: Role[]): Promise<Client> {
    const client = await signedIn(email, roles);
    const { key, sealedKey } = enrolmentOf(await (await client.get("/signin/second-factor")).text());
    const enrolled = await client.post("/signin/second-factor?_action=enrolSecondFactor", { sealedKey, code: totpOf(key) });
    expect(enrolled.status).toBe(200);
    expect(await enrolled.text()).toContain("Your recovery codes");
    return client;
  }

  /**
   * Registers `email` in `category` through the form (`overrides` its fields) and, unless `confirm` is
   * false, confirms the address by the link of the e-mail; returns the registration id.
   */
  async function register(
    email: string,
    category = "industry",
    { overrides = {}, confirm = true }: { overrides?: Record<string, string>; confirm?: boolean } = {},
  ): Promise<number> {
    expect((await postForm(server, "/register?_action=register", registrationFields(email, category, overrides))).status).toBe(303);
    const data = serverDb(server);
    try {
      if (confirm) {
        const token = data.linkTokenOf(email);
        expect((await postForm(server, `/register/manage/${token}?_action=confirmRegistration`, { token })).status).toBe(303);
      }
      return (data.db.prepare("select id from registrations where email = ?").get(email) as { id: number }).id;
    } finally {
      data.close();
    }
  }

  /** Registers `email` in `category` and confirms the address by the link of the e-mail; returns the registration id. */
  const registerAndConfirm = (email: string, category: string): Promise<number> => register(email, category);

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

  return { signedIn, staff, register, registerAndConfirm, statusOf, approve };
}
