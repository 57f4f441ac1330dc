import { describe, expect, it } from "vitest";
import { programme, session, speaker } from "../../../tests/fixtures/programme.ts";
import { ANONYMOUS, sessionAccess, viewProgramme, viewerAudiences, type Viewer } from "./audience.ts";

const attendee: Viewer = { kind: "attendee", category: "industry", confirmed: true };
const pendingOfficer: Viewer = { kind: "attendee", category: "law-enforcement", confirmed: false };
const officer: Viewer = { kind: "attendee", category: "law-enforcement", confirmed: true };
const organizer: Viewer = { kind: "organizer" };

describe("viewerAudiences", () => {
  it("grows with the viewer's standing", () => {
    expect([...viewerAudiences(ANONYMOUS)]).toEqual(["public"]);
    expect([...viewerAudiences(pendingOfficer)]).toEqual(["public"]);
    expect([...viewerAudiences(attendee)]).toEqual(["public", "registered"]);
    expect([...viewerAudiences(officer)]).toEqual(["public", "registered", "law-enforcement"]);
    expect([...viewerAudiences(organizer)]).toEqual(["public", "registered", "law-enforcement"]);
  });
});

describe("sessionAccess", () => {
  const table: [string, Parameters<typeof session>[0], Viewer, string][] = [
    ["public session, anonymous", {}, ANONYMOUS, "full"],
    ["registered session, anonymous, title public", { audience: "registered" }, ANONYMOUS, "title"],
    ["registered session, anonymous, title hidden", { audience: "registered", titlePublic: false }, ANONYMOUS, "none"],
    ["registered session, confirmed attendee", { audience: "registered", titlePublic: false }, attendee, "full"],
    ["law-enforcement session, confirmed industry attendee", { audience: "law-enforcement" }, attendee, "title"],
    ["law-enforcement session, unconfirmed officer", { audience: "law-enforcement", titlePublic: false }, pendingOfficer, "none"],
    ["law-enforcement session, confirmed officer", { audience: "law-enforcement", titlePublic: false }, officer, "full"],
    ["law-enforcement session, organizer", { audience: "law-enforcement", titlePublic: false }, organizer, "full"],
    ["accepted but not confirmed", { state: "accepted" }, organizer, "none"],
    ["confirmed but unpublished", { published: false }, organizer, "none"],
    ["confirmed, published, not scheduled", { startsAt: null, endsAt: null }, ANONYMOUS, "none"],
    ["cancelled", { state: "cancelled" }, ANONYMOUS, "none"],
  ];
  it.each(table)("%s", (_label, over, viewer, expected) => {
    expect(sessionAccess(session(over), viewer)).toBe(expected);
  });
});

describe("viewProgramme", () => {
  const secretSpeaker = speaker({ id: 2, slug: "secret-sam", name: "Secret Sam", email: "sam@example.org" });
  const open = session({ id: 1, slug: "open", title: "Open talk", speakerIds: [1] });
  const titleOnly = session({
    id: 2,
    slug: "briefing",
    title: "Operational briefing",
    audience: "law-enforcement",
    tlp: "AMBER",
    abstract: "Target: botnet X",
    description: "Details",
    speakerIds: [2],
  });
  const hidden = session({
    id: 3,
    slug: "hidden-op",
    title: "Hidden op",
    audience: "law-enforcement",
    titlePublic: false,
    speakerIds: [2],
  });
  const data = programme([hidden, titleOnly, open], [speaker(), secretSpeaker]);

  it("reduces a restricted session to its title and time for an anonymous viewer", () => {
    const view = viewProgramme(data, ANONYMOUS);
    // Same time and room: ordered by title.
    expect(view.sessions.map((s) => s.slug)).toEqual(["open", "briefing"]);
    const briefing = view.sessions.find((s) => s.slug === "briefing")!;
    expect(briefing).toMatchObject({
      title: { en: "Operational briefing", fr: "" },
      restricted: true,
      abstract: { en: "", fr: "" },
      description: { en: "", fr: "" },
      tlp: null,
      speakers: [],
    });
    expect(JSON.stringify(view)).not.toContain("botnet X");
    expect(JSON.stringify(view)).not.toContain("Hidden op");
  });

  it("lists only speakers of sessions shown in full, never with their e-mail", () => {
    const view = viewProgramme(data, ANONYMOUS);
    expect(view.speakers.map((s) => s.slug)).toEqual(["ada-example"]);
    expect(view.speakers[0].sessions.map((s) => s.slug)).toEqual(["open"]);
    expect(JSON.stringify(view)).not.toContain("@example.org");
  });

  it("shows everything to a confirmed law-enforcement attendee, in time order", () => {
    const view = viewProgramme(data, officer);
    expect(view.sessions.map((s) => s.slug).sort()).toEqual(["briefing", "hidden-op", "open"]);
    expect(view.sessions.find((s) => s.slug === "briefing")).toMatchObject({
      restricted: false,
      abstract: { en: "Target: botnet X", fr: "" },
      tlp: "AMBER",
    });
    expect(view.speakers.map((s) => s.slug)).toEqual(["ada-example", "secret-sam"]);
    expect(JSON.stringify(view)).not.toContain("sam@example.org");
  });
});
