/**
 * The embed page's "Copy the snippet" button (decision 43): shown only where the clipboard can be
 * written; without it (or without JavaScript) the snippet stays selectable text.
 */
for (const holder of document.querySelectorAll<HTMLElement>("[data-copy]")) {
  const source = document.getElementById(holder.dataset.copy ?? "");
  const button = holder.querySelector("button");
  const status = holder.querySelector<HTMLElement>("[data-copy-status]");
  if (!source || !button || !status || !navigator.clipboard) continue;
  holder.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent ?? "");
      status.textContent = status.dataset.done ?? "";
    } catch {
      // Refused (no permission): the snippet can still be selected by hand.
      status.textContent = "";
    }
  });
}
