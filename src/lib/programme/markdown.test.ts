import { describe, expect, it } from "vitest";
import { markdownToPlainText, renderMarkdown } from "./markdown.ts";

describe("renderMarkdown", () => {
  it("renders ordinary Markdown", () => {
    expect(renderMarkdown("Hello **world**, *you*.\n\n- one\n- two")).toBe(
      "<p>Hello <strong>world</strong>, <em>you</em>.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
    );
    expect(renderMarkdown("")).toBe("");
  });

  it("puts headings under the page's own", () => {
    expect(renderMarkdown("# Top\n\n## Sub")).toBe("<h3>Top</h3>\n<h4>Sub</h4>");
    expect(renderMarkdown("# Top", { headingLevel: 2 })).toBe("<h2>Top</h2>");
  });

  it("adds rel=nofollow noopener to links", () => {
    expect(renderMarkdown("[site](https://example.org/a?b=1&c=2)")).toBe(
      '<p><a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">site</a></p>',
    );
    expect(renderMarkdown("<https://example.org>")).toContain('rel="nofollow noopener noreferrer"');
  });

  it("drops script elements with their content", () => {
    const html = renderMarkdown("<script>alert('x')</script>\n\nAfter");
    expect(html).toBe("<p>After</p>");
    expect(renderMarkdown("Before\n\n<div>\n<script>steal()</script>\n</div>")).toBe("<p>Before</p>");
  });

  it("drops raw HTML tags and their event handlers", () => {
    expect(renderMarkdown('<img src=x onerror="alert(1)">')).toBe("");
    expect(renderMarkdown('Text <b onclick="alert(1)">bold</b> <iframe src="https://evil.example"></iframe>')).toBe("<p>Text bold </p>");
    expect(renderMarkdown('<a href="https://example.org" onmouseover="x()">raw link</a>')).not.toMatch(/<a|onmouseover/);
    expect(renderMarkdown("<style>body{display:none}</style>\n\nok")).toBe("<p>ok</p>");
  });

  it("keeps the text of links to anything but http(s) and mailto, without the link", () => {
    expect(renderMarkdown("[click](javascript:alert(1))")).toBe("<p>click</p>");
    expect(renderMarkdown("[click](JaVaScRiPt:alert(1))")).toBe("<p>click</p>");
    expect(renderMarkdown("[click](java&#115;cript:alert(1))")).toBe("<p>click</p>");
    expect(renderMarkdown("[d](data:text/html;base64,PHNjcmlwdD4=)")).toBe("<p>d</p>");
    expect(renderMarkdown("[x](//evil.example)")).toBe("<p>x</p>");
    expect(renderMarkdown("[mail](mailto:a@example.org)")).toBe(
      '<p><a href="mailto:a@example.org" rel="nofollow noopener noreferrer">mail</a></p>',
    );
  });

  it("shows an image's text alternative instead of loading it", () => {
    expect(renderMarkdown('![a "diagram"](https://evil.example/pixel.png)')).toBe('<p>a "diagram"</p>');
    expect(renderMarkdown("![<script>x</script>](https://evil.example/pixel.png)")).toBe("<p>&lt;script&gt;x&lt;/script&gt;</p>");
  });

  it("escapes HTML shown as code", () => {
    expect(renderMarkdown("`<script>`")).toBe("<p><code>&lt;script&gt;</code></p>");
  });
});

describe("markdownToPlainText", () => {
  it("strips formatting and markup and shortens on a word", () => {
    expect(markdownToPlainText("Hello **world** & <b>friends</b> [link](https://x.example)")).toBe("Hello world & friends link");
    expect(markdownToPlainText("one two three four", 10)).toBe("one two…");
    expect(markdownToPlainText("Write `&lt;` for <, and \"quotes\" & 'apostrophes'", Infinity)).toBe(
      "Write &lt; for <, and \"quotes\" & 'apostrophes'",
    );
  });
});
