import { describe, expect, it } from "vitest";
import { fold } from "../../../db/client.ts";
import { format, programme, room, session, speaker, track } from "../../../tests/fixtures/programme.ts";
import { ANONYMOUS, viewProgramme } from "./audience.ts";
import {
  MAX_QUERY_LENGTH,
  applyFilters,
  filterSpeakers,
  filtersToQuery,
  programmeStateQuery,
  sessionAnchor,
  hasFilters,
  matchesSearch,
  parseFilters,
} from "./filters.ts";

const ZONE = "Europe/Paris";
const DAYS = ["2013-07-02", "2013-07-03"];
const cyber = track();
const privacy = track({ id: 2, slug: "privacy", name: { en: "Privacy by design", fr: "Vie privée dès la conception" } });
const talk = format();
const breakFormat = format({ id: 2, slug: "break", name: { en: "Break", fr: "Pause" } });
const panel = format({ id: 3, slug: "panel", name: { en: "Panel", fr: "Table ronde" } });

const ada = speaker();
const bea = speaker({ id: 2, slug: "bea-sample", name: "Béatrice Sample", email: "bea@example.org" });

const sessions = [
  session({
    id: 1,
    slug: "opening",
    title: { en: "Opening keynote", fr: "Conférence d’ouverture" },
    abstract: { en: "Prevention first.", fr: "La prévention d’abord." },
    speakerIds: [1],
  }),
  session({
    id: 2,
    slug: "coffee",
    title: "Coffee",
    format: breakFormat,
    track: null,
    room: null,
    speakerIds: [],
    startsAt: new Date("2013-07-02T08:00:00Z"),
    endsAt: new Date("2013-07-02T08:30:00Z"),
  }),
  session({
    id: 3,
    slug: "donnees",
    title: "Données et sécurité",
    language: "fr",
    track: privacy,
    format: panel,
    speakerIds: [2],
    startsAt: new Date("2013-07-03T07:00:00Z"),
    endsAt: new Date("2013-07-03T08:00:00Z"),
  }),
  session({
    id: 4,
    slug: "briefing",
    title: "Operational briefing",
    audience: "law-enforcement",
    abstract: { en: "Secret botnet takedown", fr: "Démantèlement secret" },
    speakerIds: [2],
    track: privacy,
    startsAt: new Date("2013-07-03T09:00:00Z"),
    endsAt: new Date("2013-07-03T10:00:00Z"),
  }),
];
const view = viewProgramme(
  { ...programme(sessions, [ada, bea]), tracks: [cyber, privacy], formats: [talk, breakFormat, panel], rooms: [room()] },
  ANONYMOUS,
);
const slugs = (list: { slug: string }[]) => list.map((s) => s.slug);
const parse = (query: string) => parseFilters(new URLSearchParams(query), view, DAYS);

describe("parseFilters", () => {
  it("reads known values and defaults to the grid", () => {
    expect(parse("day=2013-07-03&track=privacy&format=panel&language=fr&q=data&view=list")).toEqual({
      day: "2013-07-03",
      track: "privacy",
      format: "panel",
      language: "fr",
      q: "data",
      view: "list",
    });
    expect(parse("")).toEqual({ day: undefined, track: undefined, format: undefined, language: undefined, q: undefined, view: "grid" });
  });

  it("drops unknown or malformed values instead of failing", () => {
    expect(parse("day=2013-07-09&track=nope&format=%ZZ&language=de&view=<script>&day[]=x")).toEqual({
      day: undefined,
      track: undefined,
      format: undefined,
      language: undefined,
      q: undefined,
      view: "grid",
    });
  });

  it("keeps the first of repeated values", () => {
    expect(parse("track=privacy&track=cyber").track).toBe("privacy");
  });

  it("trims the search, collapses spaces and caps it", () => {
    expect(parse("q=%20%20ransomware%20%0A%20economics%20").q).toBe("ransomware economics");
    expect(parse("q=%20%20%20").q).toBeUndefined();
    const long = parse(`q=${"a".repeat(5000)}`).q!;
    expect(long).toHaveLength(MAX_QUERY_LENGTH);
  });

  it("drops angle brackets and control characters from the search", () => {
    expect(parse("q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").q).toBe("script alert(1) /script");
    expect(parse("q=a%00b%1Fc").q).toBe("a b c");
    expect(parse("q=%3C%3E").q).toBeUndefined();
  });
});

describe("applyFilters", () => {
  const apply = (query: string) => slugs(applyFilters(view.sessions, parse(query), ZONE));

  it("shows everything the viewer may see without filters", () => {
    expect(apply("")).toEqual(["opening", "coffee", "donnees", "briefing"]);
  });

  it("filters by local day in the event's time zone", () => {
    expect(apply("day=2013-07-02")).toEqual(["opening", "coffee"]);
    expect(apply("day=2013-07-03")).toEqual(["donnees", "briefing"]);
  });

  it("filters by track, format and language; breaks drop out of track and language filters", () => {
    expect(apply("track=cyber")).toEqual(["opening"]);
    expect(apply("track=privacy")).toEqual(["donnees", "briefing"]);
    expect(apply("format=break")).toEqual(["coffee"]);
    expect(apply("language=en")).toEqual(["opening", "briefing"]);
    expect(apply("language=fr&day=2013-07-03")).toEqual(["donnees"]);
    expect(apply("language=fr&day=2013-07-02")).toEqual([]);
  });

  it("ignores unknown values", () => {
    expect(apply("track=unknown&day=1999-01-01")).toEqual(["opening", "coffee", "donnees", "briefing"]);
  });

  it("searches titles, abstracts, speaker names and tracks, ignoring case and accents", () => {
    expect(apply("q=KEYNOTE")).toEqual(["opening"]);
    expect(apply("q=prevention")).toEqual(["opening"]);
    expect(apply("q=securite")).toEqual(["donnees"]);
    expect(apply("q=beatrice")).toEqual(["donnees"]);
    expect(apply("q=privacy%20design")).toEqual(["donnees"]);
    expect(apply("q=vie%20privee")).toEqual(["donnees"]);
    expect(apply("q=keynote%20absent")).toEqual([]);
    // In both languages, whichever the page's.
    expect(apply("q=ouverture")).toEqual(["opening"]);
    expect(apply("q=prevention%20d%E2%80%99abord")).toEqual(["opening"]);
  });

  it("finds a restricted session by its title but never by what the viewer is not shown", () => {
    expect(apply("q=operational")).toEqual(["briefing"]);
    expect(apply("q=botnet")).toEqual([]);
    expect(apply("q=takedown")).toEqual([]);
    expect(apply("q=demantelement")).toEqual([]);
  });
});

describe("search helpers", () => {
  it("folds case and accents", () => {
    expect(fold("Sécurité ÉLÈVE")).toBe("securite eleve");
  });
  it("needs every word", () => {
    expect(matchesSearch("a b", ["xa", "by"])).toBe(true);
    expect(matchesSearch("a c", ["xa", "by"])).toBe(false);
    expect(matchesSearch(undefined, [])).toBe(true);
  });
  it("tells when a filter is set", () => {
    expect(hasFilters({})).toBe(false);
    expect(hasFilters({ q: "x" })).toBe(true);
  });
});

describe("filterSpeakers", () => {
  const countryName = (code: string) => ({ FR: "France" })[code] ?? code;
  it("matches name, affiliation, country name and session titles", () => {
    expect(slugs(filterSpeakers(view.speakers, "beatrice", countryName))).toEqual(["bea-sample"]);
    expect(slugs(filterSpeakers(view.speakers, "example institute", countryName))).toEqual(["ada-example", "bea-sample"]);
    expect(slugs(filterSpeakers(view.speakers, "france", countryName))).toEqual(["ada-example", "bea-sample"]);
    expect(slugs(filterSpeakers(view.speakers, "opening", countryName))).toEqual(["ada-example"]);
    expect(slugs(filterSpeakers(view.speakers, undefined, countryName))).toEqual(["ada-example", "bea-sample"]);
  });
});

describe("programmeStateQuery", () => {
  it("keeps the filters and a layout other than the grid, in a fixed order", () => {
    expect(programmeStateQuery({ view: "grid" })).toBe("");
    expect(programmeStateQuery({ view: "list", language: "fr", day: "2013-07-02", track: "cyber", format: "talk", q: "a b" })).toBe(
      "?day=2013-07-02&track=cyber&format=talk&language=fr&q=a+b&view=list",
    );
    expect(sessionAnchor("opening-keynote")).toBe("session-opening-keynote");
  });
});

describe("filtersToQuery", () => {
  it("writes only the set values", () => {
    expect(filtersToQuery({ track: "cyber", q: "a b", day: undefined })).toBe("?track=cyber&q=a+b");
    expect(filtersToQuery({})).toBe("");
  });
});
