// `npm run db:seed`: applies migrations and loads the demo edition into an empty database.
import { openDatabase } from "../db/client.ts";
import { seedIfEmpty } from "../src/lib/demo/seed.ts";

const db = openDatabase();
const result = seedIfEmpty(db);
console.log(result ? `Loaded the demo edition: ${JSON.stringify(result)}` : "The programme is not empty: nothing loaded.");
db.$client.close();
