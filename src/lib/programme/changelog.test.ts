import { describe, expect, it } from "vitest";
import { format, programme, room, session, speaker, track } from "../../../tests/fixtures/programme.ts";
import { affectedSessionSlugs, diffProgrammes, summarize } from "./changelog.ts";

const at = (iso: string) => new Date(`2013-07-02T${iso}:00Z`);
const en = (text: string) => ({ en: text, fr: "" });
const keynote = session({ slug: "keynote", title: "Keynote", startsAt: at("07:30"), endsAt: at("08:00") });
const panel = session({ slug: "panel", title: "Panel", startsAt: at("09:00"), endsAt: at("10:00") });
const secret = "Operation Nightjar";

describe("diffProgrammes", () => {
  it("gives every listed session as added on the first release, in time order", () => {
    const changes = diffProgrammes(null, programme([panel, keynote, session({ slug: "draft", state: "accepted" })]));
    expect(changes.map((c) => [c.kind, c.slug])).toEqual([
      ["added", "keynote"],
      ["added", "panel"],
    ]);
    expect(changes[0]).toMatchObject({
      title: en("Keynote"),
      restricted: false,
      to: { startsAt: at("07:30"), room: { slug: "main-hall" } },
    });
  });

  it("finds no change between identical programmes", () => {
    expect(diffProgrammes(programme([keynote, panel]), programme([keynote, panel]))).toEqual([]);
  });

  it("reports a newly listed session as added", () => {
    const changes = diffProgrammes(programme([keynote]), programme([keynote, panel]));
    expect(changes).toEqual([{ kind: "added", slug: "panel", title: en("Panel"), restricted: false, to: expect.any(Object) }]);
  });

  it("reports cancelled, withdrawn and unlisted sessions as cancelled, with the reason", () => {
    const talk = session({ slug: "talk", title: "Talk", startsAt: at("11:00"), endsAt: at("11:30") });
    const before = programme([keynote, panel, talk]);
    const after = programme([
      { ...keynote, state: "cancelled" },
      { ...panel, state: "withdrawn" },
      { ...talk, published: false },
    ]);
    const changes = diffProgrammes(before, after);
    expect(changes.map((c) => c.kind === "cancelled" && [c.slug, c.title.en, c.reason])).toEqual([
      ["keynote", "Keynote", "cancelled"],
      ["panel", "Panel", "withdrawn"],
      ["talk", "Talk", "unlisted"],
    ]);
    expect(diffProgrammes(before, programme([keynote, panel]))).toMatchObject([{ kind: "cancelled", slug: "talk", reason: "unlisted" }]);
  });

  it("reports a change of room and time as moved, not changed", () => {
    const annex = room({ id: 2, slug: "annex", name: "Annex", position: 1 });
    const after = programme([{ ...keynote, startsAt: at("14:00"), endsAt: at("14:45"), room: annex }]);
    expect(diffProgrammes(programme([keynote]), after)).toEqual([
      {
        kind: "moved",
        slug: "keynote",
        title: en("Keynote"),
        restricted: false,
        from: { startsAt: at("07:30"), endsAt: at("08:00"), room: { slug: "main-hall", name: "Main hall" } },
        to: { startsAt: at("14:00"), endsAt: at("14:45"), room: { slug: "annex", name: "Annex" } },
      },
    ]);
    // An end time alone, or a move to every room, is a move too.
    expect(diffProgrammes(programme([keynote]), programme([{ ...keynote, endsAt: at("08:15") }]))[0]?.kind).toBe("moved");
    expect(diffProgrammes(programme([keynote]), programme([{ ...keynote, room: null }]))[0]).toMatchObject({
      kind: "moved",
      to: { room: null },
    });
  });

  it("lists the fields of a changed session", () => {
    const speakers = [speaker(), speaker({ id: 2, slug: "bob-example", name: "Bob Example" })];
    const after = session({
      ...keynote,
      title: "Opening keynote",
      abstract: "New abstract",
      speakerIds: [1, 2],
      format: format({ id: 2, slug: "workshop" }),
      language: "fr" as const,
      track: track({ id: 2, slug: "policy" }),
    });
    expect(diffProgrammes(programme([keynote], speakers), programme([after], speakers))).toEqual([
      {
        kind: "changed",
        slug: "keynote",
        title: en("Opening keynote"),
        previousTitle: en("Keynote"),
        restricted: false,
        fields: ["title", "speakers", "abstract", "format", "language", "track"],
      },
    ]);
  });

  it("counts a change to the title or abstract in either language, and tells the title in both", () => {
    const translated = session({
      ...keynote,
      title: { en: "Keynote", fr: "Conférence" },
      abstract: { ...keynote.abstract, fr: "Résumé." },
    });
    expect(diffProgrammes(programme([keynote]), programme([translated]))).toEqual([
      {
        kind: "changed",
        slug: "keynote",
        title: { en: "Keynote", fr: "Conférence" },
        previousTitle: en("Keynote"),
        restricted: false,
        fields: ["title", "abstract"],
      },
    ]);
  });

  it("gives a session both moved and changed when both happened, moved first", () => {
    const changes = diffProgrammes(programme([keynote]), programme([{ ...keynote, startsAt: at("07:00"), language: "fr" }]));
    expect(changes.map((c) => c.kind)).toEqual(["moved", "changed"]);
  });

  describe("restricted sessions", () => {
    const hidden = session({ slug: "le-briefing", title: secret, audience: "law-enforcement", titlePublic: false });
    const titled = { ...hidden, titlePublic: true };
    const leaks = (value: unknown) => JSON.stringify(value).includes(secret) || JSON.stringify(value).includes("le-briefing");

    it("never shows a session whose title is hidden: added, moved, changed or cancelled", () => {
      const moved = session({ ...hidden, title: "Renamed", startsAt: at("12:00"), endsAt: at("13:00"), abstract: "x" });
      expect(diffProgrammes(null, programme([keynote, hidden]))).toHaveLength(1);
      expect(diffProgrammes(programme([keynote, hidden]), programme([keynote, moved]))).toEqual([]);
      expect(diffProgrammes(programme([hidden]), programme([{ ...hidden, state: "cancelled" }]))).toEqual([]);
      expect(leaks(diffProgrammes(programme([hidden]), programme([moved])))).toBe(false);
    });

    it("says nothing when a public title is hidden again, instead of a false cancellation", () => {
      expect(diffProgrammes(programme([keynote, titled]), programme([keynote, hidden]))).toEqual([]);
    });

    it("shows a public title with restricted details, and no change to its details", () => {
      expect(diffProgrammes(null, programme([titled]))).toMatchObject([{ kind: "added", title: en(secret), restricted: true }]);
      const details = session({ ...titled, abstract: "Secret abstract", speakerIds: [2] });
      expect(diffProgrammes(programme([titled]), programme([details]))).toEqual([]);
      const moved = { ...titled, startsAt: at("12:00"), endsAt: at("13:00") };
      expect(diffProgrammes(programme([titled]), programme([moved]))).toMatchObject([{ kind: "moved", restricted: true }]);
    });
  });
});

describe("summarize and affectedSessionSlugs", () => {
  const talk = session({ slug: "talk", startsAt: at("11:00"), endsAt: at("11:30") });
  const changes = diffProgrammes(
    programme([keynote, panel]),
    programme([session({ ...keynote, startsAt: at("07:00"), title: "Opening" }), { ...panel, state: "cancelled" }, talk]),
  );

  it("counts changes per kind", () => {
    expect(summarize(changes)).toEqual({ added: 1, cancelled: 1, moved: 1, changed: 1 });
    expect(summarize([])).toEqual({ added: 0, cancelled: 0, moved: 0, changed: 0 });
  });

  it("names each moved, changed or cancelled session once, never an added one", () => {
    expect(affectedSessionSlugs(changes)).toEqual(["keynote", "panel"]);
  });
});
