// Injected into a page by the layout walk (tests/e2e/accessibility.test.ts); defines
// `globalThis.layoutProbe()`, which returns every layout problem of the page as laid out now:
//   page-width      the document is wider than the window
//   overflow        an element sticks out of the window, outside any scrollable region
//   scroll-region   a region that scrolls is not focusable, or has no accessible name (a named
//                   navigation's list of links needs neither: Tab reaches each link, scrolling it in)
//   broken-word     a word is broken over lines although it would fit on one line of the column
//   control-label   a checkbox or radio stands away from its label's text
// (and on a phone, a .stack-table that does not fit: its rows are meant to become cards)
// Plain JavaScript (no build step): it runs in the page as written.
(() => {
  /** A short CSS path of `el`: up to four steps, stopping at an id. */
  function selectorOf(el) {
    const steps = [];
    for (let node = el; node && node.nodeType === 1 && steps.length < 4; node = node.parentElement) {
      if (node.id) {
        steps.unshift(`#${CSS.escape(node.id)}`);
        break;
      }
      let step = node.localName;
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) step += classes.map((c) => `.${CSS.escape(c)}`).join("");
      const parent = node.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.localName === node.localName);
        if (same.length > 1) step += `:nth-of-type(${same.indexOf(node) + 1})`;
      }
      steps.unshift(step);
      if (node.localName === "body") break;
    }
    return steps.join(" > ");
  }

  const textOf = (node) => (node.textContent || "").replace(/\s+/g, " ").trim().slice(0, 80);

  /** True when `el` draws nothing: not rendered, or hidden the "visually hidden" way (1 px, clipped). */
  function invisible(el, style = getComputedStyle(el)) {
    if (style.display === "none" || style.visibility === "hidden" || style.opacity === "0") return true;
    const box = el.getBoundingClientRect();
    return (box.width <= 1 && box.height <= 1) || !el.getClientRects().length;
  }

  /** The accessible name given to a region by aria-label or aria-labelledby. */
  function regionName(el) {
    const label = el.getAttribute("aria-label");
    if (label && label.trim()) return label.trim();
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
    return ids
      .map((id) => document.getElementById(id))
      .filter(Boolean)
      .map((n) => textOf(n))
      .join(" ")
      .trim();
  }

  /** Line boxes of a list of client rects: rects whose vertical middles fall in one band are one line. */
  function countLines(rects) {
    const sorted = [...rects].filter((r) => r.width > 0.5 && r.height > 0.5).sort((a, b) => a.top - b.top);
    let lines = 0;
    let bottom = -Infinity;
    for (const r of sorted) {
      const middle = (r.top + r.bottom) / 2;
      if (middle > bottom) {
        lines++;
        bottom = r.bottom;
      } else bottom = Math.max(bottom, r.bottom);
    }
    return lines;
  }

  /** Width of the column text can use: the main element's content box, else the window's. */
  function columnWidth(node, styleOf) {
    const main = document.querySelector("main");
    const inMain = main && main.contains(node);
    const box = inMain ? main : document.body;
    const style = styleOf(box);
    return box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  }

  const SKIP_TEXT = "script, style, noscript, template, textarea, option, select, title";

  function probe() {
    const problems = [];
    const add = (kind, el, detail) => problems.push({ kind, selector: selectorOf(el), text: textOf(el), detail });
    const width = document.documentElement.clientWidth;

    // The page as a whole.
    const scrollWidth = document.scrollingElement.scrollWidth;
    if (scrollWidth > width) add("page-width", document.documentElement, `the page is ${scrollWidth} px wide in a ${width} px window`);

    // Elements out of the window, and regions that scroll: one pass, each element's style read once.
    const reported = [];
    const regions = new Set();
    const styles = new Map();
    const styleOf = (el) => {
      let style = styles.get(el);
      if (!style) styles.set(el, (style = getComputedStyle(el)));
      return style;
    };
    const scrolls = (overflow) => overflow === "auto" || overflow === "scroll";
    const hidden = new Set();
    for (const el of document.body.querySelectorAll("*")) {
      // Inside something hidden, or in an SVG drawing (its shapes are laid out by the drawing).
      if (hidden.has(el.parentElement) || (el.parentElement?.closest("svg") && el.localName !== "svg")) {
        hidden.add(el);
        continue;
      }
      const style = styleOf(el);
      if (style.display === "none") {
        hidden.add(el);
        continue;
      }
      if (invisible(el, style)) continue;
      if (!["textarea", "select", "input"].includes(el.localName)) {
        const scrollsX = scrolls(style.overflowX) && el.scrollWidth > el.clientWidth + 1;
        const scrollsY = scrolls(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
        if (scrollsX || scrollsY) regions.add(el);
      }
      const box = el.getBoundingClientRect();
      const left = box.left + scrollX;
      const right = box.right + scrollX;
      // Wholly off to the left is hiding on purpose (a honeypot, a skip link waiting for focus).
      if (right <= 0 || (right <= width + 0.5 && left >= -0.5)) continue;
      let clip = null;
      for (let node = el.parentElement; node && node !== document.body; node = node.parentElement)
        if (styleOf(node).overflowX !== "visible") {
          clip = node;
          break;
        }
      if (clip) continue;
      if (reported.some((r) => r.contains(el))) continue;
      reported.push(el);
      add("overflow", el, `spans ${Math.round(left)}–${Math.round(right)} px of a ${width} px window`);
    }
    // A table that promises to turn into cards on a phone (.stack-table, global.css) never scrolls there.
    if (width <= 640)
      for (const table of document.querySelectorAll(".stack-table")) {
        const room = table.parentElement.clientWidth;
        if (!invisible(table) && table.scrollWidth > room + 1)
          add("overflow", table, `a stacked table ${table.scrollWidth} px wide in ${room} px`);
      }
    for (const el of regions) {
      if (el.closest("nav[aria-label], nav[aria-labelledby]") && el.querySelector("a[href], button")) continue;
      const missing = [];
      if (!(el.hasAttribute("tabindex") && el.tabIndex >= 0)) missing.push("tabindex=0");
      if (!regionName(el)) missing.push("an accessible name (aria-label or aria-labelledby)");
      if (missing.length)
        add(
          "scroll-region",
          el,
          `scrolls (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight}) without ${missing.join(" and ")}`,
        );
    }

    // Words broken over lines although the column could hold them.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data;
      if (!text.trim()) continue;
      const parent = node.parentElement;
      if (!parent || hidden.has(parent) || parent.closest(SKIP_TEXT) || invisible(parent, styleOf(parent))) continue;
      range.selectNodeContents(node);
      const lines = countLines(range.getClientRects());
      if (lines <= 1) continue;
      // Where a line may end without breaking a word: spaces, and after a hyphen, dash or slash.
      const words = text
        .trim()
        .split(/\s+|(?<=[-‐–—/])/)
        .filter(Boolean);
      if (lines <= words.length) continue;
      const column = columnWidth(node, styleOf);
      const broken = [];
      for (const match of text.matchAll(/\S+/g)) {
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = range.getClientRects();
        if (countLines(rects) <= 1) continue;
        const natural = [...rects].reduce((sum, r) => sum + r.width, 0);
        // A word nearly as long as the whole column has to break (in a card, beside a label); one
        // that would fit easily was squeezed into a narrow column.
        if (natural < column * 0.85) broken.push(match[0]);
      }
      if (broken.length)
        add(
          "broken-word",
          parent,
          `${lines} lines for ${words.length} word${words.length === 1 ? "" : "s"}; broken: ${broken.slice(0, 3).join(", ")}`,
        );
    }

    // Checkboxes and radios next to their label's text.
    for (const control of document.querySelectorAll("input[type=checkbox], input[type=radio]")) {
      if (invisible(control)) continue;
      const box = control.getBoundingClientRect();
      const labels = [...(control.labels || [])].filter((l) => !invisible(l));
      if (!labels.length) continue;
      let nearest = Infinity;
      for (const label of labels) {
        const texts = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
        for (let t = texts.nextNode(); t; t = texts.nextNode()) {
          if (!t.data.trim()) continue;
          range.selectNodeContents(t);
          for (const r of range.getClientRects()) {
            if (r.width < 0.5) continue;
            const dx = Math.max(0, r.left - box.right, box.left - r.right);
            const dy = Math.max(0, r.top - box.bottom, box.top - r.bottom);
            nearest = Math.min(nearest, Math.hypot(dx, dy));
          }
        }
      }
      if (nearest > 24) add("control-label", control, `${Math.round(nearest)} px from its label “${textOf(labels[0])}”`);
    }
    return problems;
  }

  /** A control's names as the page shows them: its labels, its group's legend or table's caption, its aria-label. */
  function namesOf(control) {
    const names = [...(control.labels || [])].map((l) => l.textContent);
    const legend = control.closest("fieldset")?.querySelector("legend");
    if (legend) names.push(legend.textContent);
    if (control.getAttribute("aria-label")) names.push(control.getAttribute("aria-label"));
    // A row's checkbox belongs to its table, which the caption names.
    const caption = control.closest("table")?.caption;
    if (caption) names.push(caption.textContent);
    // "(required)" and the like are not part of the name.
    return names
      .map((n) =>
        n
          .replace(/\([^)]*\)/g, "")
          .replace(/\s+/g, " ")
          .trim()
          .toLowerCase(),
      )
      .filter(Boolean);
  }

  /**
   * The error summary after a refused submit: where it stands and what has focus, its heading and
   * lines, and every problem with them (a line linked to nothing, or not naming the field it links to).
   */
  function errorSummaryProbe() {
    const summaries = document.querySelectorAll(".error-summary");
    const summary = summaries[0];
    if (!summary) return { problems: ["no error summary on the page"] };
    const problems = [];
    if (summaries.length > 1) problems.push(`${summaries.length} error summaries`);
    const main = document.querySelector("main");
    if (main.firstElementChild !== summary)
      problems.push(`the summary is not first in the main content (${selectorOf(main.firstElementChild)} is)`);
    const focusTarget = summary.dataset.errorSummary ? document.getElementById(summary.dataset.errorSummary) : summary;
    if (document.activeElement !== focusTarget)
      problems.push(`focus is on ${selectorOf(document.activeElement)}, not ${selectorOf(focusTarget)}`);
    const lines = [...summary.querySelectorAll("li")].map((li) => li.textContent.replace(/\s+/g, " ").trim());
    for (const link of summary.querySelectorAll("li a")) {
      const id = decodeURIComponent(link.getAttribute("href").slice(1));
      const target = document.getElementById(id);
      const text = link.textContent.replace(/\s+/g, " ").trim();
      if (!target) {
        problems.push(`“${text}” links to #${id}, which is not in the page`);
        continue;
      }
      // "Name: message" (a no-break space before the colon in French).
      const name = text.split(/\s?:\s/)[0].toLowerCase();
      const names = namesOf(target);
      if (text === name || !names.some((n) => n.includes(name) || name.includes(n)))
        problems.push(`“${text}” does not name its field (${names.map((n) => `“${n}”`).join(", ") || "a field without a label"})`);
    }
    return { problems, heading: summary.querySelector("h2")?.textContent.trim() ?? "", lines, title: document.title };
  }

  globalThis.layoutProbe = probe;
  globalThis.errorSummaryProbe = errorSummaryProbe;
})();
