// The badge pages' print buttons: shown only where the script runs (without it, the browser's own Print works).
for (const button of document.querySelectorAll<HTMLButtonElement>("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
