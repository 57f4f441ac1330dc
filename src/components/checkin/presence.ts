/**
 * The overview of people inside (decision 38): today's counts stay live, as the desks' do, by
 * asking the server every 10 s; the page shows the same numbers without this script.
 */

interface Count {
  inside: number;
  entries: number;
  exits: number;
  people: number;
}

const POLL_MS = 10_000;

function setUp(root: HTMLElement): void {
  const words = JSON.parse(root.dataset.words ?? "{}") as { updated: string; intl: string; timezone: string };
  const number = new Intl.NumberFormat(words.intl);
  const time = new Intl.DateTimeFormat(words.intl, { hour: "2-digit", minute: "2-digit", timeZone: words.timezone });
  const refresh = async () => {
    try {
      const response = await fetch(root.dataset.endpoint!, { credentials: "same-origin", signal: AbortSignal.timeout(8000) });
      if (!response.ok || response.redirected) return;
      const data = (await response.json()) as {
        now: number;
        entryExit: boolean;
        counts: { inside?: Count; byCategory: Record<string, { inside?: Count }> };
      };
      if (!data.entryExit) return;
      for (const row of root.querySelectorAll<HTMLElement>("[data-presence-row]")) {
        const id = row.dataset.presenceRow!;
        const count = id === "" ? data.counts.inside : data.counts.byCategory[id]?.inside;
        for (const cell of row.querySelectorAll<HTMLElement>("[data-field]"))
          cell.textContent = number.format(count?.[cell.dataset.field as keyof Count] ?? 0);
      }
      const updated = root.querySelector<HTMLElement>("[data-presence-updated]");
      if (updated) updated.textContent = words.updated.replace("{time}", time.format(data.now));
      root.dataset.refreshed = String(data.now);
    } catch {
      // The network is cut: the numbers stay as they were, with the time they are from.
    }
  };
  window.setInterval(() => void refresh(), POLL_MS);
}

for (const root of document.querySelectorAll<HTMLElement>("[data-presence]")) setUp(root);
