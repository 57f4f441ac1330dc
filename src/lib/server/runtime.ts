import { isDatabaseReachable, openDatabase, type Db } from "../../../db/client.ts";
import { loadEdition, type Edition } from "../config/edition.ts";
import { viewProgramme, type ProgrammeView, type Viewer } from "../programme/audience.ts";
import type { Programme } from "../programme/model.ts";
import { createProgrammeCache } from "../programme/queries.ts";

// One database connection and one validated edition per server process.
let db: Db | undefined;
let edition: Edition | undefined;
let programmeCache: (() => Programme) | undefined;

/** The process's database, opened (and migrated) on first use; retried on the next call after a failure. */
export function getDb(): Db {
  db ??= openDatabase();
  return db;
}

/** The edition's configuration from `content/edition.yaml`, validated once. */
export function getEdition(): Edition {
  edition ??= loadEdition();
  return edition;
}

/** The stored programme (cached until any programme table changes). Read-only. */
export function currentProgramme(): Programme {
  programmeCache ??= createProgrammeCache(getDb());
  return programmeCache();
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
