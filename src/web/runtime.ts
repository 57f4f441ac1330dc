import { isDatabaseReachable, openDatabase, type Db } from "../../db/client.ts";
import { loadEdition, type Edition } from "../lib/config/edition.ts";
import { viewProgramme, type ProgrammeView, type Viewer } from "../lib/programme/audience.ts";
import type { Programme } from "../lib/programme/model.ts";
import { createProgrammeCache } from "../lib/programme/queries.ts";
import { createChangelogCache, createReleaseCache, type ChangelogEntry, type Release } from "../lib/programme/releases.ts";
import type { RegistrationDeps } from "../lib/registration/service.ts";
import { createRateLimiter, parseLimit, type RateLimiter } from "../lib/security/rate-limit.ts";
import { loadAppKey } from "../lib/security/secrets.ts";

// One database connection and one validated edition per server process.
let db: Db | undefined;
let edition: Edition | undefined;
let programmeCache: (() => Programme) | undefined;

/**
 * The process's database, opened (and migrated) on first use; retried on the next call after a
 * failure. A migration that fails here (the setup has reported it already) leaves the
 * database as it is and the site serving.
 */
export function getDb(): Db {
  db ??= openDatabase(undefined, { onMigrationFailure: (error) => console.error(`${error.message}; serving the database as it is.`) });
  return db;
}

/** The edition's configuration from `content/edition.yaml`, validated once. */
export function getEdition(): Edition {
  edition ??= loadEdition();
  return edition;
}

let releaseCache: (() => Release | undefined) | undefined;

/** The programme as being edited by the organizers (cached until any programme table changes). Read-only. */
export function workInProgress(): Programme {
  programmeCache ??= createProgrammeCache(getDb());
  return programmeCache();
}

let changelogCache: (() => ChangelogEntry[]) | undefined;

/** Every release with what it changed, newest first (computed once per release). Read-only. */
export function changelog(): ChangelogEntry[] {
  changelogCache ??= createChangelogCache(getDb());
  return changelogCache();
}

/** The latest schedule release, if any. */
export function latestRelease(): Release | undefined {
  releaseCache ??= createReleaseCache(getDb());
  return releaseCache();
}

/**
 * The programme the public sees: the latest release (the live tables only while nothing was ever
 * released, as in a database from before releases existed). Read-only.
 */
export function currentProgramme(): Programme {
  return latestRelease()?.programme ?? workInProgress();
}

/** The programme as `viewer` may see it. */
export function programmeFor(viewer: Viewer): ProgrammeView {
  return viewProgramme(currentProgramme(), viewer);
}

/** Health: the database answers. */
export function healthy(): boolean {
  try {
    return isDatabaseReachable(getDb());
  } catch {
    return false;
  }
}

/** The site's public address for absolute links (exports, e-mails): SITE_URL at run time, else the build's `site`. */
export function getSiteUrl(): string {
  return process.env.SITE_URL ?? import.meta.env.SITE ?? "http://localhost:4321";
}

let appKey: Buffer | undefined;

/** The application key that derives private links and ticket secrets (APP_SECRET or the key file). */
export function getAppKey(): Buffer {
  appKey ??= loadAppKey();
  return appKey;
}

/** What the registration domain needs, for this process. */
export function registrationDeps(): RegistrationDeps {
  return { db: getDb(), edition: getEdition(), appKey: getAppKey() };
}

let limiters: ReturnType<typeof createLimiters> | undefined;

function createLimiters() {
  const limiter = (name: string, limit: { limit: number; windowMs: number }): RateLimiter =>
    createRateLimiter({ db: getDb, appKey: getAppKey, name, ...limit });
  return {
    registerByIp: limiter("register.ip", parseLimit(process.env.REGISTER_LIMIT_IP, { limit: 10, windowMs: 600_000 })),
    registerByEmail: limiter("register.email", parseLimit(process.env.REGISTER_LIMIT_EMAIL, { limit: 3, windowMs: 3_600_000 })),
    signInByIp: limiter("signin.ip", parseLimit(process.env.SIGNIN_LIMIT_IP, { limit: 20, windowMs: 600_000 })),
    signInByEmail: limiter("signin.email", parseLimit(process.env.SIGNIN_LIMIT_EMAIL, { limit: 5, windowMs: 900_000 })),
    // "Resend my link": each request mails an address, so few per address and per client.
    manageLinkByIp: limiter("manage-link.ip", parseLimit(process.env.MANAGE_LINK_LIMIT_IP, { limit: 10, windowMs: 600_000 })),
    manageLinkByEmail: limiter("manage-link.email", parseLimit(process.env.MANAGE_LINK_LIMIT_EMAIL, { limit: 3, windowMs: 3_600_000 })),
    // Co-speaker invitations carry words chosen by whoever signed up: per client too, not only per account.
    cfpInviteByIp: limiter("cfp.invite.ip", parseLimit(process.env.CFP_INVITE_LIMIT_IP, { limit: 40, windowMs: 3_600_000 })),
    // Proposal forms and invitations per account: enough for anyone, not for a script.
    cfpWriteByAccount: limiter("cfp.write.account", { limit: 60, windowMs: 600_000 }),
    cfpInviteByAccount: limiter("cfp.invite.account", { limit: 20, windowMs: 3_600_000 }),
    // Wrong second-factor codes: per client and per account; the account's limit ends its sessions.
    secondFactorByIp: limiter("second-factor.ip", { limit: 20, windowMs: 900_000 }),
    secondFactorByAccount: limiter("second-factor.account", { limit: 5, windowMs: 900_000 }),
  };
}

/**
 * The site's rate limits, kept in the database so that every server process shares them and a
 * restart keeps them (src/lib/security/rate-limit.ts). Registration: REGISTER_LIMIT_IP (default 10
 * per 10 minutes) and REGISTER_LIMIT_EMAIL (3 per hour); sign-in requests: SIGNIN_LIMIT_IP (20 per 10
 * minutes) and SIGNIN_LIMIT_EMAIL (5 per 15 minutes); "resend my link": MANAGE_LINK_LIMIT_IP (10 per
 * 10 minutes) and MANAGE_LINK_LIMIT_EMAIL (3 per hour); co-speaker invitations: CFP_INVITE_LIMIT_IP
 * (40 per hour); as "count/seconds". Only well-formed submissions count.
 */
export function rateLimits() {
  limiters ??= createLimiters();
  return limiters;
}
