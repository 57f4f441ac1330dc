// `npm run db:backup -- [file]`: a consistent online copy of the database (VACUUM INTO, see
// db/backup.ts), safe while the server is running; default data/backup-<time>.db.
import { DEFAULT_DATABASE_PATH } from "./paths.ts";
import { backupDatabase, stamp } from "./backup.ts";

const source = process.env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH;
const target = process.argv[2] ?? `data/backup-${stamp()}.db`;
try {
  const { bytes } = backupDatabase(source, target);
  console.log(`Backed up ${source} to ${target} (${(bytes / 1024).toFixed(0)} KiB).`);
} catch (error) {
  console.error(`Backup failed: ${(error as Error).message ?? error}`);
  process.exit(1);
}
