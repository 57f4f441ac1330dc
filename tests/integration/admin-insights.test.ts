// The organizers' insights over HTTP: the CSV export of the filtered registrations (and the audit
// entry it leaves), the statistics page against the database, and the audit log page; who may see each.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Client, serverAccounts } from "../helpers/session.ts";

let server: TestServer;
let accounts: ReturnType<typeof serverAccounts>;
let data: ReturnType<typeof serverDb>;
let who: ReturnType<typeof people>;
let organizer: Client;
/** Registration ids by their role in these tests. */
const ids: Record<"elodie" | "formula" | "industry" | "unconfirmed", number> = { elodie: 0, formula: 0, industry: 0, unconfirmed: 0 };

const exportsInAudit = () => data.count("select count(*) as n from audit_log where action = 'registrations.export'");

/** The cells (`<th>` and `<td>` text) of each `<tr data-KEY="value">` of a page, by value. */
function tableRows(html: string, key: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const [, value, inner] of html.matchAll(new RegExp(`<tr data-${key}="([^"]+)">(.*?)</tr>`, "gs"))) {
    rows.set(
      value,
      // A cell's text, its elements apart (a block under another reads as a separate phrase).
      [...inner.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map(([, cell]) =>
        cell
          .replace(/<wbr>/g, "")
          .replace(/<[^>]+>/g, " ")
          .replace(/\s+/g, " ")
          .trim(),
      ),
    );
  }
  return rows;
}

beforeAll(async () => {
  server = await startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60", SIGNIN_LIMIT_IP: "100000/60" });
  accounts = serverAccounts(server);
  data = serverDb(server);
  who = people(server, accounts);
  organizer = await who.staff("organizer@example.org", ["organizer"]);
  ids.elodie = await who.register("elodie.lefevre@interieur.gouv.fr", "law-enforcement", {
    overrides: { name: "Élodie Lefèvre", organisation: "Préfecture de police", country: "FR", dietary: "Végétarienne, sans gluten" },
  });
  ids.formula = await who.register("formula@example.org", "law-enforcement", {
    overrides: {
      name: '=HYPERLINK("http://evil.example","clic")',
      organisation: "@Attack",
      country: "BE",
      dietary: "+1 vegetarian",
      accessibility: "-2+3",
    },
  });
  ids.industry = await who.register("zoe@example.com", "industry", { overrides: { name: "Zoë Industry", country: "DE" } });
  ids.unconfirmed = await who.register("unconfirmed@example.net", "researcher", {
    overrides: { name: "Ana Unconfirmed", country: "FR" },
    confirm: false,
  });
});

afterAll(async () => {
  data?.close();
  accounts?.close();
  await server?.stop();
});

describe("who may see the insights", () => {
  it("answers each kind of visitor as its role allows, and logs only the exports that happened", async () => {
    const anonymous = new Client(server);
    const plain = await who.signedIn("plain@example.org");
    const reviewer = await who.staff("reviewer@example.org", ["reviewer"]);
    const checkin = await who.staff("checkin@example.org", ["checkin"]);
    const unverified = await who.signedIn("organizer2@example.org", ["organizer"]);
    const before = exportsInAudit();
    const paths = [
      "/admin/statistics",
      "/fr/admin/statistics",
      "/admin/audit",
      "/fr/admin/audit",
      "/admin/registrations.csv?category=industry",
    ];
    for (const path of paths) {
      const signIn = path.startsWith("/fr/") ? "/fr/signin" : "/signin";
      const next = `?next=${encodeURIComponent(path)}`;
      const expected: [string, Client, number, string?][] = [
        ["anonymous", anonymous, 303, `${signIn}${next}`],
        ["plain user", plain, 403],
        ["reviewer", reviewer, 403],
        ["check-in staff", checkin, 403],
        ["organizer without second factor", unverified, 303, `${signIn}/second-factor${next}`],
        ["organizer", organizer, 200],
      ];
      for (const [who, client, status, location] of expected) {
        const response = await client.get(path);
        expect(response.status, `${path} as ${who}`).toBe(status);
        if (status !== 303) expect(response.headers.get("cache-control"), `${path} as ${who}`).toBe("no-store");
        if (location) expect(response.headers.get("location"), `${path} as ${who}`).toBe(location);
        if (status === 403 && path.includes(".csv")) {
          expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
          expect(await response.text()).toBe("Your account may not export registrations.\n");
        }
      }
    }
    // Only the organizer's own export was logged.
    expect(exportsInAudit()).toBe(before + 1);
  });

  it("sends the visitor to the French sign-in page from a French export", async () => {
    const response = await new Client(server).get("/admin/registrations.csv?lang=fr");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/fr/signin?next=${encodeURIComponent("/admin/registrations.csv?lang=fr")}`);
  });
});

describe("the CSV export", () => {
  it("holds exactly the filtered registrations, accents intact and formulas neutralized, and is audited", async () => {
    const before = exportsInAudit();
    const response = await organizer.get("/admin/registrations.csv?category=law-enforcement&sort=created&dir=asc&page=2");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="registrations-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    const lines = text.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(
      "ID,Registered,State,Category,Name,E-mail,Organisation,Country,Language,Agency,Position,Official e-mail,Company,Role,Institution,Policy body,Official domain,Dietary needs,Accessibility needs,In the participant list,Checked in",
    );
    // Every page of the filter (page=2 is ignored), in the list's order: the two law-enforcement registrations only.
    expect(lines.slice(1, -1).map((line) => Number(line.split(",")[0]))).toEqual([ids.elodie, ids.formula]);
    expect(lines[1]).toMatch(
      /^\d+,\d{4}-\d{2}-\d{2} \d{2}:\d{2},Awaiting review,Law enforcement,Élodie Lefèvre,elodie\.lefevre@interieur\.gouv\.fr,Préfecture de police,France,English,Cybercrime unit,Inspector,elodie\.lefevre@interieur\.gouv\.fr,,,,,yes,"Végétarienne, sans gluten",,no,$/,
    );
    expect(lines[2]).toContain(`,"'=HYPERLINK(""http://evil.example"",""clic"")",formula@example.org,'@Attack,Belgium,`);
    expect(lines[2]).toContain(`,'+1 vegetarian,'-2+3,no,`);
    expect(text).not.toContain("Zoë");
    expect(text).not.toContain("unconfirmed@example.net");

    expect(exportsInAudit()).toBe(before + 1);
    const entry = data.db
      .prepare(
        "select actor_email, subject_type, subject_id, before, after from audit_log where action = 'registrations.export' order by id desc limit 1",
      )
      .get() as Record<string, string | null>;
    expect({ ...entry, after: JSON.parse(entry.after!) }).toEqual({
      actor_email: "organizer@example.org",
      subject_type: "registrations",
      subject_id: "",
      before: null,
      after: { filters: { category: "law-enforcement" }, rows: 2 },
    });

    // The audit page shows it, with its filters and count.
    const audit = await (await organizer.get("/admin/audit?q=registrations.export")).text();
    const row = /<tr data-audit-id="(\d+)">(.*?)<\/tr>/s.exec(audit)!;
    expect(row[2]).toContain("organizer@example.org");
    // In words, the code beside them (what the search matched).
    expect(row[2]).toContain("Registrations exported (CSV)");
    expect(row[2]).toContain('<code class="audit-code">registrations.<wbr>export</code>');
    expect(row[2]).toContain("Registrations");
    const french = await (await organizer.get("/fr/admin/audit?q=registrations.export")).text();
    expect(french).toContain("Inscriptions exportées (CSV)");
    // What was recorded, one line per field.
    const fields = [...row[2].matchAll(/<li><code>(\w+)<\/code>: <span class="audit-details__value">(.*?)<\/span><\/li>/g)];
    expect(fields.map(([, key, value]) => [key, value!.replace(/&quot;|&#34;/g, '"')])).toEqual([
      ["filters", `{"category":"law-enforcement"}`],
      ["rows", "2"],
    ]);
  });

  it("writes headers and labels in French with lang=fr, with semicolons as French spreadsheets expect, and searches like the list", async () => {
    const response = await organizer.get("/admin/registrations.csv?lang=fr&q=lefevre&verified=yes");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="inscriptions-\d{4}-\d{2}-\d{2}\.csv"$/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString("utf8");
    const lines = text.split("\r\n");
    expect(lines[0]).toMatch(/^N°;Inscription;État;Catégorie;Nom;E-mail;Organisation;Pays;Langue;Service ou unité;/);
    expect(lines.slice(1, -1)).toHaveLength(1);
    // Country and language by name, in French; a comma inside a cell needs no quotes with semicolons.
    expect(lines[1]).toContain(";À examiner;Forces de l’ordre;Élodie Lefèvre;");
    expect(lines[1]).toContain(";Préfecture de police;France;Anglais;");
    expect(lines[1]).toContain(";Végétarienne, sans gluten;");
    expect(lines[1]).toContain(";oui;");
    const after = data.db.prepare("select after from audit_log where action = 'registrations.export' order by id desc limit 1").get() as {
      after: string;
    };
    expect(JSON.parse(after.after)).toEqual({ filters: { q: "lefevre", domainVerified: true }, rows: 1 });
  });

  it("writes either separator when asked, whatever the language; an unknown one is the language's", async () => {
    const cells = async (path: string) => (await (await organizer.get(path)).text()).replace(/^\uFEFF/, "").split("\r\n")[0]!;
    expect(await cells("/admin/registrations.csv?sep=semicolon")).toMatch(/^ID;Registered;State;/);
    expect(await cells("/admin/registrations.csv?sep=comma")).toMatch(/^ID,Registered,State,/);
    expect(await cells("/admin/registrations.csv")).toMatch(/^ID,Registered,State,/);
    expect(await cells("/admin/registrations.csv?lang=fr&sep=comma")).toMatch(/^N°,Inscription,État,/);
    expect(await cells("/admin/registrations.csv?lang=fr&sep=tab")).toMatch(/^N°;Inscription;État;/);
    // A comma in a cell is quoted with commas.
    const withCommas = await (await organizer.get("/admin/registrations.csv?q=lefevre&sep=comma")).text();
    expect(withCommas).toContain(',"Végétarienne, sans gluten",');
  });

  it("is offered from the list as a form keeping the list's filters and language, with the separator to choose", async () => {
    const english = await (await organizer.get("/admin/registrations?category=law-enforcement&page=1")).text();
    const form = /<form method="get" action="\/admin\/registrations\.csv"[\s\S]*?<\/form>/.exec(english)![0];
    expect(form).toContain('<input type="hidden" name="category" value="law-enforcement">');
    expect(form).not.toContain('name="page"');
    expect(form).toMatch(/<option value="comma" selected>Comma/);
    expect(form).toContain("Export CSV");
    const french = await (await organizer.get("/fr/admin/registrations?status=confirmed")).text();
    const frenchForm = /<form method="get" action="\/admin\/registrations\.csv"[\s\S]*?<\/form>/.exec(french)![0];
    expect(frenchForm).toContain('<input type="hidden" name="status" value="confirmed">');
    expect(frenchForm).toContain('<input type="hidden" name="lang" value="fr">');
    expect(frenchForm).toMatch(/<option value="semicolon" selected>Point-virgule/);
    expect(frenchForm).toContain("Exporter en CSV");
  });
});

describe("the statistics page", () => {
  it("shows the numbers of the database, beside server-drawn charts", async () => {
    // One more state: an organizer approves Élodie (a seat) and the industry registration was confirmed already.
    const approved = await organizer.post("/admin/registrations?_action=decideRegistrations", {
      ids: String(ids.elodie),
      decision: "approve",
      reason: "",
    });
    expect(approved.status).toBe(303);
    const response = await organizer.get("/admin/statistics");
    expect(response.status).toBe(200);
    const html = await response.text();

    const byCategory = data.db
      .prepare(
        "select category, count(*) as n, sum(seat_held) as taken, sum(status = 'waitlisted') as waiting from registrations group by category",
      )
      .all() as { category: string; n: number; taken: number; waiting: number }[];
    expect(byCategory.length).toBe(3);
    const categories = tableRows(html, "category");
    expect([...categories.keys()]).toEqual(["law-enforcement", "industry", "researcher", "policy-maker"]);
    const capacities: Record<string, number> = { "law-enforcement": 250, industry: 180, researcher: 100, "policy-maker": 70 };
    for (const [category, cells] of categories) {
      const row = byCategory.find((r) => r.category === category) ?? { n: 0, taken: 0, waiting: 0 };
      const capacity = capacities[category];
      expect(cells.slice(1), category).toEqual([row.n, row.taken, capacity, capacity - row.taken, row.waiting].map(String));
    }
    expect(categories.get("law-enforcement")!.slice(0, 3)).toEqual(["Law enforcement", "2", "1"]);

    const byState = new Map(
      (data.db.prepare("select status, count(*) as n from registrations group by status").all() as { status: string; n: number }[]).map(
        (r) => [r.status, r.n],
      ),
    );
    const states = tableRows(html, "state");
    expect(states.size).toBe(6);
    for (const [state, cells] of states) expect(cells[1], state).toBe(String(byState.get(state) ?? 0));
    expect(states.get("confirmed")).toEqual(["Confirmed", "2"]);

    // Most registrations first, ties by code.
    const regionName = new Intl.DisplayNames(["en-GB"], { type: "region" });
    const byCountry = data.db
      .prepare("select country, count(*) as n from registrations group by country order by n desc, country")
      .all() as {
      country: string;
      n: number;
    }[];
    expect([...tableRows(html, "country")]).toEqual(
      byCountry.map((r) => [r.country, [`${regionName.of(r.country)} (${r.country})`, String(r.n)]]),
    );
    expect(byCountry.map((r) => r.country)).toEqual(["FR", "BE", "DE"]);

    const parisDay = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris", year: "numeric", month: "2-digit", day: "2-digit" });
    const perDay = new Map<string, number>();
    for (const { created_at } of data.db.prepare("select created_at from registrations").all() as { created_at: number }[]) {
      const day = parisDay.format(new Date(created_at));
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    const days = tableRows(html, "day");
    expect(Object.fromEntries([...days].filter(([, cells]) => cells[1] !== "0").map(([day, cells]) => [day, Number(cells[1])]))).toEqual(
      Object.fromEntries(perDay),
    );

    const total = data.count("select count(*) as n from registrations");
    expect(total).toBe(4);
    expect(html).toContain(`<dd data-stat="registrations">${total}</dd>`);
    expect(html).toContain(`<dd data-stat="taken">2 of 600</dd>`);

    // Charts: SVG drawn on the server, named for assistive technology; no inline style (CSP).
    for (const id of ["chart-category", "chart-state", "chart-country", "chart-day"]) {
      expect(html).toMatch(new RegExp(`<svg class="bar-chart[^"]*" id="${id}" role="img" aria-labelledby="${id}-title"`));
      expect(html).toMatch(new RegExp(`<title id="${id}-title">Bar chart: `));
    }
    // Rows charts are drawn a second time for phones (labels above the bars, shown instead by CSS).
    for (const id of ["chart-category", "chart-state", "chart-country"])
      expect(html).toMatch(new RegExp(`<svg class="bar-chart bar-chart--narrow" role="img" aria-labelledby="${id}-title-narrow"`));
    expect(html.match(/<rect class="bar-chart__bar"/g)?.length).toBeGreaterThanOrEqual(4 + 6 + 3 + 1);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
  });

  it("speaks French at /fr/admin/statistics", async () => {
    const html = await (await organizer.get("/fr/admin/statistics")).text();
    expect(html).toContain('<html lang="fr"');
    expect(html).toContain("Par catégorie");
    expect(tableRows(html, "state").get("pending_email")).toEqual(["Adresse non confirmée", "1"]);
    expect(tableRows(html, "country").get("DE")).toEqual(["Allemagne (DE)", "1"]);
  });
});

describe("the audit log page", () => {
  it("lists entries newest first, searches actor, action and subject, and pages", async () => {
    // The approval above left an entry on its subject.
    const bySubject = await (await organizer.get(`/admin/audit?q=${encodeURIComponent(`registration:${ids.elodie}`)}`)).text();
    const approval = [...tableRows(bySubject, "audit-id").values()];
    expect(approval).toHaveLength(1);
    // The action in words with its code, over its subject; what was recorded before (one line per field).
    expect(approval[0].slice(1, 4)).toEqual([
      "organizer@example.org",
      `Registration approved registration.approve Subject: Registration ${ids.elodie}`,
      // (tags read as spaces here: "<code>status</code>: …")
      "status : pending_review seatHeld : false",
    ]);
    // The subject's name, a space, its code.
    expect(bySubject).toContain(`Registration <code class="audit-code">${ids.elodie}</code>`);

    const byActor = tableRows(await (await organizer.get("/admin/audit?q=organizer%40example")).text(), "audit-id");
    expect(byActor.size).toBe(data.count("select count(*) as n from audit_log where actor_email like '%organizer@example%'"));
    const none = await (await organizer.get("/admin/audit?q=no-such-thing")).text();
    expect(none).toContain("No entry matches.");
    expect(tableRows(none, "audit-id").size).toBe(0);

    // Sixty more entries: the first page holds the fifty newest, the second the rest.
    const insert = data.db.prepare(
      "insert into audit_log (at, actor_id, actor_email, action, subject_type, subject_id) values (?, null, 'bulk@example.org', 'test.bulk', 'thing', ?)",
    );
    const base = Date.now() + 60_000;
    for (let i = 1; i <= 60; i++) insert.run(base + i * 1000, String(i));
    const first = await (await organizer.get("/admin/audit?q=test.bulk")).text();
    // The subject, under the action ("Subject: thing 60", "Objet : thing 60" in French).
    const subjectOf = (cells: string[]) => cells[2]!.split(": ").at(-1);
    const firstSubjects = [...tableRows(first, "audit-id").values()].map(subjectOf);
    expect(firstSubjects).toEqual(Array.from({ length: 50 }, (_, i) => `thing ${60 - i}`));
    expect(first).toContain("60 entries · Page 1 of 2");
    expect(first).toContain('href="/admin/audit?q=test.bulk&amp;page=2" rel="next"');
    const second = await (await organizer.get("/fr/admin/audit?q=test.bulk&page=2")).text();
    expect([...tableRows(second, "audit-id").values()].map(subjectOf)).toEqual(Array.from({ length: 10 }, (_, i) => `thing ${10 - i}`));
    expect(second).toContain("60 entrées · Page 2 sur 2");
    expect(second).toContain('href="/fr/admin/audit?q=test.bulk" rel="prev"');
    // Past the end: the last page.
    expect(tableRows(await (await organizer.get("/admin/audit?q=test.bulk&page=99")).text(), "audit-id").size).toBe(10);
    // Nothing on the page changes an entry.
    expect(first).not.toMatch(/<form[^>]*method="post"/i);
  });
});
