import { join } from "node:path";
import type { Db } from "./client.ts";
import { contentDir, loadEdition } from "../src/lib/config/edition.ts";
import { importProgramme, isProgrammeEmpty, type ImportResult } from "../src/lib/programme/import.ts";

/** Loads the demo edition's programme from `content/` into an empty database; does nothing otherwise. */
export function seedIfEmpty(db: Db, dir: string = contentDir()): ImportResult | null {
  if (!isProgrammeEmpty(db)) return null;
  return importProgramme(db, join(dir, "programme"), loadEdition(dir));
}
