// Starts the built site: opens the database (applying migrations), loads the demo edition into an
// empty database, then starts the Astro standalone server (PORT, HOST). When the database cannot be
// opened the server still starts, and /health answers 503 until it can.
import { openDatabase } from "../db/client.ts";
import { seedIfEmpty } from "../db/seed.ts";

try {
  const db = openDatabase();
  const seeded = seedIfEmpty(db);
  if (seeded) console.log(`Loaded the demo edition: ${seeded.sessions} sessions, ${seeded.speakers} speakers, ${seeded.rooms} rooms.`);
  db.$client.close();
} catch (error) {
  if (error?.name === "ContentError") {
    // A broken configuration is the operator's to fix; starting would only hide it.
    console.error(`The edition's content is invalid:\n${error.message}`);
    process.exit(1);
  }
  console.error(`Database unavailable (${process.env.DATABASE_PATH ?? "data/forum.db"}): ${error?.message ?? error}`);
}

process.env.PORT ??= "4321";
process.env.ASTRO_TELEMETRY_DISABLED ??= "1";
await import("../dist/server/entry.mjs");
