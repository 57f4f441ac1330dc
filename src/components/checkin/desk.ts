/**
 * The check-in desk in the browser (decision 31). The ticket form keeps working without this script;
 * with it, each scan (typed, from a keyboard-wedge scanner, or read by the camera) is sent with a
 * nonce and answered in a full-width panel, the field is ready again at once, the counts stay live,
 * and a network cut is bridged: scans are answered from the day's roster and queued, then sent when
 * the network is back, with the server's different answers listed for staff. Where organizers count
 * entry and exit (decision 38), the desk scans one way, chosen on it and kept on the device.
 */
import {
  eraseAll,
  hashOf,
  loadState,
  saveState,
  type Conflict,
  type DeskState,
  type Entry,
  type Outcome,
  type QueuedScan,
} from "./desk-store.ts";
import { startScanner } from "./scanner.ts";

interface Words {
  admitted: string;
  alreadyIn: string;
  refused: string;
  alreadyAt: string;
  alreadyAtTime: string;
  offlineNote: string;
  unknownOffline: string;
  online: string;
  offline: string;
  queued: string;
  queuedOne: string;
  countsOf: string;
  conflictAlready: string;
  conflictAlreadyTime: string;
  badgeOf: string;
  badgeHref: string;
  conflictRefused: string;
  networkError: string;
  entered: string;
  exited: string;
  alreadyInside: string;
  notInside: string;
  insideSince: string;
  insideSinceTime: string;
  leftAt: string;
  leftAtTime: string;
  noEntryToday: string;
  exitedNotConfirmed: string;
  conflictAlreadyInside: string;
  conflictNotInside: string;
  errors: Record<string, string>;
  categories: Record<string, string>;
  intl: string;
  timezone: string;
}

interface Answer {
  nonce: string;
  outcome: Outcome;
  reason?: string;
  attendee?: Entry;
  replayed: boolean;
}

interface Counts {
  byCategory: Record<string, { in: number; expected: number; inside?: { inside: number } }>;
  in: number;
  expected: number;
  inside?: { inside: number };
}

/** Answers that let someone in: the same to staff, whether a first admission or a re-entry. */
const admits = (outcome: Outcome) => outcome === "admitted" || outcome === "entered";

const PRINTED_CODE = /^[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}$/i;
const POLL_MS = 10_000;

const fill = (template: string, values: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));

function nonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function setUp(root: HTMLElement): Promise<void> {
  const words = JSON.parse(root.dataset.words ?? "{}") as Words;
  const endpoint = root.dataset.endpoint!;
  const form = document.getElementById("checkin-ticket") as HTMLFormElement;
  const input = document.getElementById("f-ticket") as HTMLInputElement;
  const deskInput = document.getElementById("f-desk") as HTMLInputElement;
  const panel = root.querySelector<HTMLElement>("[data-desk-answer]")!;
  const network = root.querySelector<HTMLElement>("[data-desk-network]")!;
  const queueLine = root.querySelector<HTMLElement>("[data-desk-queue]")!;
  const conflictsBox = root.querySelector<HTMLElement>("[data-desk-conflicts]")!;
  const conflictsList = conflictsBox.querySelector<HTMLElement>("ul")!;
  const sound = root.querySelector<HTMLInputElement>("[data-desk-sound]")!;
  const ways = [...root.querySelectorAll<HTMLInputElement>('input[name="direction"]')];
  let entryExit = root.dataset.entryExit === "on";
  // The field takes scans from the first instant (a scanner does not wait for the script): those
  // read before the desk is ready are answered once it is, never by a form post that offline would lose.
  const early: string[] = [];
  let take: (code: string) => void = (code) => void early.push(code);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value;
    input.value = "";
    input.focus();
    take(code);
  });
  const time = new Intl.DateTimeFormat(words.intl, { hour: "2-digit", minute: "2-digit", timeZone: words.timezone });
  const category = (id: string) => words.categories[id] ?? id;
  const at = (ms: number | null | undefined) => (ms ? time.format(ms) : "");

  for (const hidden of root.querySelectorAll<HTMLElement>("[data-desk-script]")) hidden.hidden = false;
  deskInput.value = localStorage.getItem("forum-desk-label") ?? deskInput.value;
  deskInput.addEventListener("change", () => localStorage.setItem("forum-desk-label", deskInput.value.trim()));
  sound.checked = localStorage.getItem("forum-desk-sound") === "on";
  sound.addEventListener("change", () => localStorage.setItem("forum-desk-sound", sound.checked ? "on" : "off"));
  // The way this desk scans is the desk's own (a door), kept on the device; back to the field after switching.
  const keptWay = localStorage.getItem("forum-desk-direction");
  for (const way of ways) {
    if (keptWay && !new URL(location.href).searchParams.has("way")) way.checked = way.value === keptWay;
    way.addEventListener("change", () => {
      localStorage.setItem("forum-desk-direction", way.value);
      showDoors();
      input.focus();
    });
  }
  const direction = (): "entry" | "exit" => (ways.find((w) => w.checked)?.value === "exit" ? "exit" : "entry");
  /** Shows the way and the people inside while entry and exit are counted, hides them when not. */
  const submit = form.querySelector<HTMLButtonElement>("[data-submit-entry]");
  const showDoors = () => {
    root.dataset.entryExit = entryExit ? "on" : "off";
    for (const part of root.querySelectorAll<HTMLElement>("[data-desk-doors], [data-inside-column]")) part.hidden = !entryExit;
    if (submit) submit.textContent = (entryExit && direction() === "exit" ? submit.dataset.submitExit : submit.dataset.submitEntry) ?? "";
  };

  let state: DeskState | undefined = await loadState();
  let byHash = new Map<string, Entry>();
  let online = navigator.onLine;
  const index = () => (byHash = new Map(state?.roster.map((e) => [e.hash, e]) ?? []));
  index();

  let saving = Promise.resolve();
  const persist = () => {
    const snapshot = state;
    if (snapshot) saving = saving.then(() => saveState(snapshot)).catch(() => undefined);
  };

  const showNetwork = () => {
    network.textContent = online ? words.online : words.offline;
    network.dataset.state = online ? "online" : "offline";
    const n = state?.queue.length ?? 0;
    queueLine.textContent = n === 0 ? "" : fill(n === 1 ? words.queuedOne : words.queued, { n });
  };

  const showCounts = (counts: Counts) => {
    for (const cell of root.querySelectorAll<HTMLElement>("[data-count]")) {
      const id = cell.dataset.count!;
      const c = id === "" ? counts : (counts.byCategory[id] ?? { in: 0, expected: 0 });
      cell.textContent = fill(words.countsOf, { in: c.in, expected: c.expected });
    }
    for (const cell of root.querySelectorAll<HTMLElement>("[data-inside]")) {
      const id = cell.dataset.inside!;
      const c = id === "" ? counts : counts.byCategory[id];
      cell.textContent = String(c?.inside?.inside ?? 0);
    }
  };

  const showConflicts = () => {
    const list = state?.conflicts ?? [];
    conflictsBox.hidden = list.length === 0;
    conflictsList.replaceChildren(
      ...list.map((c) => {
        const li = document.createElement("li");
        li.textContent =
          c.outcome === "already"
            ? fill(c.desk ? words.conflictAlready : words.conflictAlreadyTime, {
                name: c.name,
                time: at(c.checkedInAt),
                desk: c.desk ?? "",
              })
            : c.outcome === "already_inside"
              ? fill(words.conflictAlreadyInside, { name: c.name })
              : c.outcome === "not_inside"
                ? fill(words.conflictNotInside, { name: c.name })
                : fill(words.conflictRefused, { name: c.name, reason: words.errors[c.reason ?? ""] ?? c.reason ?? "" });
        return li;
      }),
    );
  };

  const beep = (outcome: Answer["outcome"]) => {
    if (!sound.checked) return;
    try {
      const audio = new AudioContext();
      const tones = admits(outcome) || outcome === "exited" ? [880] : outcome === "refused" ? [220] : [660, 660];
      tones.forEach((frequency, i) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = frequency;
        osc.type = outcome === "refused" ? "square" : "sine";
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        const start = audio.currentTime + i * 0.18;
        osc.start(start);
        osc.stop(start + (outcome === "refused" ? 0.4 : 0.12));
      });
      window.setTimeout(() => void audio.close(), 1000);
    } catch {
      // No sound on this device: the panel says it all.
    }
  };

  /** The full-width answer: the word, who, and the detail, in the outcome's colour. */
  const show = (answer: Answer, note = "") => {
    const who = answer.attendee;
    /** Where they stand today: inside since, left at, or not through a door today. */
    const presence = (entry: Entry) =>
      !entry.presenceAt
        ? words.noEntryToday
        : fill(
            entry.inside
              ? entry.presenceDesk
                ? words.insideSince
                : words.insideSinceTime
              : entry.presenceDesk
                ? words.leftAt
                : words.leftAtTime,
            {
              time: at(entry.presenceAt),
              desk: entry.presenceDesk ?? "",
            },
          );
    const detail =
      answer.outcome === "already" && who
        ? fill(who.desk ? words.alreadyAt : words.alreadyAtTime, { time: at(who.checkedInAt), desk: who.desk ?? "" })
        : answer.outcome === "refused"
          ? (words.errors[answer.reason ?? ""] ?? "")
          : (answer.outcome === "already_inside" || answer.outcome === "not_inside") && who
            ? presence(who)
            : answer.outcome === "exited" && who && who.state !== "confirmed"
              ? words.exitedNotConfirmed
              : "";
    const word: Record<Outcome, string> = {
      admitted: words.admitted,
      already: words.alreadyIn,
      refused: words.refused,
      entered: words.entered,
      exited: words.exited,
      already_inside: words.alreadyInside,
      not_inside: words.notInside,
    };
    panel.className = `desk-answer desk-answer--${answer.outcome}`;
    panel.hidden = false;
    panel.querySelector("[data-answer-word]")!.textContent = word[answer.outcome];
    panel.querySelector("[data-answer-name]")!.textContent = who?.name ?? "";
    panel.querySelector("[data-answer-organisation]")!.textContent = who?.organisation ?? "";
    panel.querySelector("[data-answer-category]")!.textContent = who ? category(who.category) : "";
    panel.querySelector("[data-answer-detail]")!.textContent = detail;
    panel.querySelector("[data-answer-note]")!.textContent = note;
    const badgeLine = panel.querySelector<HTMLElement>("[data-answer-badge-line]")!;
    const badge = panel.querySelector<HTMLAnchorElement>("[data-answer-badge]")!;
    // The badge of someone let in (offline too: it prints from what the desk holds once back online).
    badgeLine.hidden = !who || answer.outcome === "refused" || !online;
    if (who) {
      badge.href = fill(words.badgeHref, { id: who.id });
      badge.textContent = fill(words.badgeOf, { name: who.name });
    }
    panel.dataset.nonce = answer.nonce;
    beep(answer.outcome);
  };

  const remember = (entry: Entry | undefined) => {
    if (!entry || !state) return;
    const at = state.roster.findIndex((e) => e.id === entry.id);
    if (at >= 0) state.roster[at] = entry;
    else state.roster.push(entry);
    byHash.set(entry.hash, entry);
  };

  const send = async (scans: Omit<QueuedScan, "provisional">[]): Promise<{ answers: Answer[]; counts: Counts }> => {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        scans: scans.map(({ nonce, code, at, desk, direction }) => ({ nonce, code, at, desk, ...(direction ? { direction } : {}) })),
      }),
      credentials: "same-origin",
      signal: AbortSignal.timeout(8000),
    });
    if (response.status === 401) {
      // Signed out elsewhere (or the session ended): nothing stays on this device.
      await eraseAll();
      location.reload();
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const data = (await response.json()) as { answers: Answer[]; counts: Counts; entryExit?: boolean };
    if (data.entryExit !== undefined && data.entryExit !== entryExit) {
      // Organizers switched entry and exit: the next look asks for the whole roster, drawn the new way.
      entryExit = data.entryExit;
      if (state) state.entryExit = undefined;
      showDoors();
    }
    return data;
  };

  /** Answers a scan from the roster, as the server would, and queues it. */
  const offlineAnswer = async (scan: Omit<QueuedScan, "provisional">): Promise<Answer> => {
    const code = scan.code.trim();
    let entry: Entry | undefined;
    if (PRINTED_CODE.test(code)) {
      const prefix = code.replace(/-/g, "").toLowerCase();
      entry = state?.roster.find((e) => e.hash.startsWith(prefix));
    } else entry = byHash.get(await hashOf(code));
    const doors = scan.direction !== undefined;
    const moved = (inside: boolean): Entry => ({ ...entry!, inside, presenceAt: scan.at, presenceDesk: scan.desk });
    const reply = (outcome: Outcome, attendee?: Entry, reason?: string): Answer => ({
      nonce: scan.nonce,
      outcome,
      ...(reason ? { reason } : {}),
      ...(attendee ? { attendee } : {}),
      replayed: false,
    });
    // As the server would answer (src/lib/registration/desk.ts), from what this desk holds.
    const answer: Answer = !entry
      ? reply("refused", undefined, "offline_unknown")
      : scan.direction === "exit"
        ? entry.inside
          ? reply("exited", moved(false))
          : entry.state !== "confirmed"
            ? reply("refused", entry, entry.state)
            : reply("not_inside", entry)
        : entry.state !== "confirmed"
          ? reply("refused", entry, entry.state)
          : !entry.checkedInAt
            ? reply("admitted", { ...(doors ? moved(true) : entry), checkedInAt: scan.at, desk: scan.desk })
            : !doors
              ? reply("already", entry)
              : entry.inside
                ? reply("already_inside", entry)
                : reply("entered", moved(true));
    if (admits(answer.outcome) || answer.outcome === "exited") remember(answer.attendee);
    // Only what would change something needs the server; a refusal offline is queued too, for its audit entry.
    state?.queue.push({ ...scan, provisional: answer.outcome });
    // Kept on the device before the answer shows: a reload right after it loses nothing.
    persist();
    await saving;
    return answer;
  };

  /** Sends the queue (in order, by batches), lists the answers that differ from the offline ones. */
  let syncing = false;
  const sync = async () => {
    if (syncing || !state || state.queue.length === 0) return;
    syncing = true;
    try {
      while (state.queue.length > 0) {
        const batch = state.queue.slice(0, 100);
        const { answers, counts } = await send(batch);
        online = true;
        for (const answer of answers) {
          const queued = batch.find((q) => q.nonce === answer.nonce);
          remember(answer.attendee);
          // A first admission where the desk thought of a re-entry (or the reverse) lets them in all the same.
          const same = answer.outcome === queued?.provisional || (admits(answer.outcome) && admits(queued?.provisional ?? "refused"));
          if (queued && !same && !admits(answer.outcome)) {
            const conflict: Conflict = {
              nonce: answer.nonce,
              name: answer.attendee?.name ?? queued.code.slice(0, 12),
              outcome: answer.outcome,
              reason: answer.reason,
              checkedInAt: answer.attendee?.checkedInAt,
              desk: answer.attendee?.desk,
            };
            state.conflicts.push(conflict);
          }
        }
        const done = new Set(answers.map((a) => a.nonce));
        state.queue = state.queue.filter((q) => !done.has(q.nonce));
        showCounts(counts);
        persist();
      }
    } catch {
      online = false;
    } finally {
      syncing = false;
      showNetwork();
      showConflicts();
    }
  };

  /** The roster of the day (all of it at first, then what changed), and the counts. */
  const refresh = async () => {
    try {
      const since = state ? `?since=${state.seen}` : "";
      const response = await fetch(endpoint + since, { credentials: "same-origin", signal: AbortSignal.timeout(8000) });
      if (response.redirected || response.status === 401 || response.status === 403) {
        await eraseAll();
        state = undefined;
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = (await response.json()) as {
        now: number;
        day: string;
        expires: number;
        staff: number;
        full: boolean;
        entryExit?: boolean;
        attendees: Entry[];
        counts: Counts;
      };
      entryExit = data.entryExit === true;
      showDoors();
      if (!state || state.staff !== data.staff || state.day !== data.day) {
        // Another account, or another day: nothing of before is kept (a queue of another account is theirs).
        if (state && state.staff !== data.staff) await eraseAll();
        const queue = state?.staff === data.staff ? state.queue : [];
        state = { staff: data.staff, day: data.day, expires: data.expires, seen: 0, roster: [], queue, conflicts: [] };
        // What changed since yesterday's look is not the roster of today: ask for all of it.
        if (!data.full) return refresh();
      }
      if ((state.entryExit ?? false) !== entryExit && !data.full) {
        // Drawn the other way (entry and exit switched since): ask for all of it again.
        state.seen = 0;
        state.entryExit = entryExit;
        return refresh();
      }
      state.entryExit = entryExit;
      if (data.full) state.roster = data.attendees;
      else for (const entry of data.attendees) remember(entry);
      if (data.full) index();
      state.seen = data.now;
      state.expires = data.expires;
      online = true;
      showCounts(data.counts);
      persist();
    } catch {
      online = false;
    }
    showNetwork();
  };

  /** One scan, from the field or the camera. */
  let busy = Promise.resolve();
  const handle = (raw: string) => {
    const code = raw.trim();
    if (code === "") return;
    busy = busy.then(async () => {
      const scan = {
        nonce: nonce(),
        code: code.slice(0, 10_000),
        at: Date.now(),
        desk: deskInput.value.trim(),
        ...(entryExit ? { direction: direction() } : {}),
      };
      if (online && navigator.onLine) {
        try {
          const { answers, counts } = await send([scan]);
          const [answer] = answers;
          remember(answer.attendee);
          persist();
          show(answer);
          showCounts(counts);
          return;
        } catch {
          online = false;
          showNetwork();
        }
      }
      const answer = await offlineAnswer(scan);
      show(answer, answer.reason === "offline_unknown" ? words.unknownOffline : words.offlineNote);
      showNetwork();
    });
  };

  root.querySelector("[data-conflicts-dismiss]")?.addEventListener("click", () => {
    if (!state) return;
    state.conflicts = [];
    persist();
    showConflicts();
  });
  root.querySelector<HTMLFormElement>("[data-desk-signout]")?.addEventListener("submit", async (event) => {
    const signOut = event.currentTarget as HTMLFormElement;
    event.preventDefault();
    await saving;
    await eraseAll();
    navigator.serviceWorker?.controller?.postMessage({ type: "erase" });
    signOut.submit();
  });

  window.addEventListener("online", () => {
    online = true;
    void sync().then(refresh);
  });
  window.addEventListener("offline", () => {
    online = false;
    showNetwork();
  });
  window.setInterval(() => {
    if (state && Date.now() >= state.expires) {
      state = undefined;
      void eraseAll().then(refresh);
      return;
    }
    void sync().then(refresh);
  }, POLL_MS);

  showNetwork();
  showConflicts();
  showDoors();
  take = handle;
  early.splice(0).forEach(handle);
  await refresh();
  void sync();
  keepPage(root);
  root.dataset.ready = "true";

  const scanner = root.querySelector<HTMLElement>("[data-ticket-scanner]");
  if (scanner) startScanner(scanner, handle);
  // Ready for the first scan, unless someone is typing in another field (the desk's label): what
  // they type goes on going there, not into the ticket field.
  if (!document.activeElement || document.activeElement === document.body) input.focus();
}

/** Registers the desk's service worker and keeps the page and its assets for a reload offline. */
function keepPage(root: HTMLElement): void {
  const worker = root.dataset.worker;
  const scope = root.dataset.scope;
  if (!worker || !scope || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker
    .register(worker, { scope })
    .then(async () => {
      const assets = [
        ...[...document.querySelectorAll<HTMLScriptElement>("script[src]")].map((s) => s.src),
        ...[...document.querySelectorAll<HTMLLinkElement>('link[rel="stylesheet"], link[rel="modulepreload"]')].map((l) => l.href),
        ...performance.getEntriesByType("resource").map((r) => r.name),
      ].filter((u) => new URL(u).origin === location.origin && /^\/(_astro\/|theme\.css$)/.test(new URL(u).pathname));
      const cache = await caches.open("forum-desk-v1");
      await cache.add(scope);
      await cache.addAll([...new Set(assets)]);
    })
    .catch(() => undefined);
}

for (const root of document.querySelectorAll<HTMLElement>("[data-desk]")) void setUp(root);
