// Starts the built site: opens the database (applying migrations), loads the demo edition into an
// empty database, then serves the Astro app (PORT, HOST). When the database cannot be opened the
// server still starts, and /health answers 503 until it can.
import { createServer } from "node:http";
import { openDatabase } from "../db/client.ts";
import { seedIfEmpty } from "../db/seed.ts";
import { repairQuery } from "./repair-query.mjs";

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

process.env.ASTRO_TELEMETRY_DISABLED ??= "1";
// We listen ourselves so that a malformed query string (`?day=%ZZ`) reaches the app repaired
// instead of being refused by the adapter's own server with a bare 400.
process.env.ASTRO_NODE_AUTOSTART = "disabled";
const { handler } = await import("../dist/server/entry.mjs");

const port = Number(process.env.PORT ?? 4321);
const host = process.env.HOST ?? "localhost";
const server = createServer((req, res) => {
  req.url = repairQuery(req.url ?? "/");
  handler(req, res);
});
server.listen(port, host, () => console.log(`Forum site listening on http://${host}:${port}`));

const stop = () => server.close(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
