// `npm run db:restore -- <file>`: replaces the database (DATABASE_PATH) with a backup, after
// checking it (db/backup.ts). Stop the server first: a database in use is refused. The replaced
// database is kept beside it; pending migrations apply when the server starts.
// Exit codes: 0 restored, 1 usage or I/O error, 2 not a sound backup of this site, 3 database in use.
import { DEFAULT_DATABASE_PATH } from "./paths.ts";
import { RestoreError, restoreDatabase } from "./backup.ts";

const file = process.argv[2];
if (!file || file.startsWith("-") || process.argv.length > 3) {
  console.error("Usage: npm run db:restore -- <backup file>   (restores into DATABASE_PATH, default data/forum.db)");
  process.exit(1);
}
const databasePath = process.env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH;
try {
  const restored = restoreDatabase(databasePath, file);
  console.log(
    `Restored ${file} into ${databasePath}: ${restored.registrations} registrations, ${restored.sessions} sessions, ` +
      `migrations up to ${restored.latestMigration}.`,
  );
  if (restored.keptAs) console.log(`The database it replaced is kept as ${restored.keptAs}.`);
  console.log("Start the server: migrations newer than the backup apply on start.");
} catch (error) {
  if (error instanceof RestoreError) {
    console.error(`Not restored: ${error.message}\nNothing was changed.`);
    process.exit(error.exitCode);
  }
  console.error(`Not restored: ${(error as Error).message ?? error}`);
  process.exit(1);
}
