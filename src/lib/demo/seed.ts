import { join } from "node:path";
import type { Db } from "../../../db/client.ts";
import { contentDir, loadEdition } from "../config/edition.ts";
import { importProgramme, isProgrammeEmpty, type ImportResult } from "../programme/import.ts";
import { publishRelease } from "../programme/releases.ts";

/** Loads the demo edition's programme from `content/` into an empty database; does nothing otherwise. */
export function seedIfEmpty(db: Db, dir: string = contentDir()): ImportResult | null {
  if (!isProgrammeEmpty(db)) return null;
  const result = importProgramme(db, join(dir, "programme"), loadEdition(dir));
  // The demo is published as release 1, so that the public sees it (and later edits wait for a release).
  publishRelease(db, { id: null, email: "system" }, { en: "Demo edition", fr: "Édition de démonstration" });
  return result;
}
