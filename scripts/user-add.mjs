// `npm run user:add -- --email someone@example.org --role organizer [--role reviewer] [--name "X"]`:
// creates the account (or adds the roles to an existing one) and prints a one-time sign-in link and
// code, without sending any e-mail. This is how the first organizer gets in. Bad arguments: exit 2.
import { parseArgs } from "node:util";
import { openDatabase } from "../db/client.ts";
import { ROLES } from "../db/schema/auth.ts";
import { createSignInChallenge } from "../src/lib/auth/sign-in.ts";
import { SIGN_IN_MINUTES, signInUrl } from "../src/lib/auth/sign-in-links.ts";
import { addUser, isRole, isStaff, isValidEmail, normalizeEmail } from "../src/lib/auth/users.ts";
import { loadAppKey } from "../src/lib/security/secrets.ts";

const USAGE = `Usage: npm run user:add -- --email someone@example.org [--role organizer] [--role reviewer] [--name "Full Name"]
Roles: ${ROLES.join(", ")} (none: a plain account).`;

function fail(message) {
  console.error(`user:add: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      email: { type: "string" },
      role: { type: "string", multiple: true, default: [] },
      name: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error?.message ?? String(error));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.email === undefined || values.email.trim() === "") fail("--email is required.");
if (!isValidEmail(values.email)) fail(`"${values.email}" is not a valid e-mail address.`);
for (const role of values.role) if (!isRole(role)) fail(`unknown role "${role}" (expected one of: ${ROLES.join(", ")}).`);

let db;
try {
  db = openDatabase();
  const appKey = loadAppKey();
  const email = normalizeEmail(values.email);
  const user = addUser(db, { email, roles: values.role, name: values.name });
  if (user.revokedAt) {
    console.error(`user:add: the account ${user.email} is revoked; restore it from the staff screen before signing in with it.`);
    process.exitCode = 1;
  } else {
    const { linkToken, code } = createSignInChallenge(db, appKey, user.email);
    const siteUrl = process.env.SITE_URL ?? "http://localhost:4321";
    console.log(`Account ${user.email}: ${user.roles.length ? `roles ${user.roles.join(", ")}` : "no staff role (plain account)"}.`);
    console.log(`Sign-in link (usable once, valid ${SIGN_IN_MINUTES} minutes):`);
    console.log(`  ${signInUrl(siteUrl, user.language, linkToken)}`);
    console.log(`Or, on the sign-in page, the address ${user.email} and the code: ${code}`);
    if (isStaff(user)) console.log("The second factor (TOTP, with an authenticator app) will be set up at the first sign-in.");
  }
} catch (error) {
  console.error(`user:add: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  db?.$client.close();
}
