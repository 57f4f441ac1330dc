// `npm run db:backup -- [file]`: a consistent online copy of the database (SQLite's backup API),
// safe while the server is running.
import { openDatabase } from "./client.ts";

const target = process.argv[2] ?? `data/backup-${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.db`;
const db = openDatabase();
await db.$client.backup(target);
db.$client.close();
console.log(`Backed up ${process.env.DATABASE_PATH ?? "data/forum.db"} to ${target}`);
