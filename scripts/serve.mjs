// Starts the built site: opens the database (applying migrations), loads the demo edition into an
// empty database, then starts the Astro standalone server (PORT, HOST).
import { openDatabase } from "../db/client.ts";
import { seedIfEmpty } from "../db/seed.ts";

const db = openDatabase();
const seeded = seedIfEmpty(db);
if (seeded) console.log(`Loaded the demo edition: ${seeded.sessions} sessions, ${seeded.speakers} speakers, ${seeded.rooms} rooms.`);
db.$client.close();

process.env.PORT ??= "4321";
await import("../dist/server/entry.mjs");
