import { h } from "./dom.js";

/**
 * Renders the Markdown that chat models commonly write (code fences, paragraphs, lists, headings,
 * `code`, **bold**, *italic*, [links](https://...)) as DOM nodes. Everything is a text node or an
 * element built here: no HTML from the model is ever parsed, and links must be http(s).
 *
 * @param {string} text
 * @returns {HTMLElement[]}
 */
export function renderMarkdown(text) {
  /** @type {HTMLElement[]} */
  const blocks = [];
  const parts = text.split(/^```/m);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      // Inside a fence: the first line is the language; an unclosed fence (still streaming) is code too.
      const newline = part.indexOf("\n");
      const language = newline === -1 ? part.trim() : part.slice(0, newline).trim();
      const code = newline === -1 ? "" : part.slice(newline + 1).replace(/\n$/, "");
      blocks.push(h("pre", { class: "code", dataset: language ? { language } : undefined }, h("code", null, code)));
    } else {
      blocks.push(...renderBlocks(part));
    }
  });
  return blocks;
}

const bulletPattern = /^\s*[-*+] /;
const numberPattern = /^\s*\d+[.)] /;
const headingPattern = /^#{1,6} /;

/**
 * Blocks are runs of lines: a list starts at its first item even right after a line of text
 * ("Steps:\n1. ...", as models write it), and a heading is a block of its own.
 * @param {string} text
 */
function renderBlocks(text) {
  /** @type {HTMLElement[]} */
  const blocks = [];
  for (const chunk of text.split(/\n{2,}/)) {
    const lines = chunk.split("\n").filter((line) => line.trim().length > 0);
    let index = 0;
    while (index < lines.length) {
      const line = lines[index] ?? "";
      const pattern = bulletPattern.test(line) ? bulletPattern : numberPattern.test(line) ? numberPattern : undefined;
      if (pattern !== undefined) {
        const items = [];
        while (index < lines.length && pattern.test(lines[index] ?? "")) items.push(lines[index++] ?? "");
        blocks.push(
          h(
            pattern === bulletPattern ? "ul" : "ol",
            null,
            items.map((item) => h("li", null, inline(item.replace(pattern, "")))),
          ),
        );
      } else if (headingPattern.test(line)) {
        blocks.push(h("p", { class: "md-heading" }, inline(line.replace(headingPattern, ""))));
        index++;
      } else {
        const paragraph = h("p");
        let first = true;
        while (
          index < lines.length &&
          !bulletPattern.test(lines[index] ?? "") &&
          !numberPattern.test(lines[index] ?? "") &&
          !headingPattern.test(lines[index] ?? "")
        ) {
          if (!first) paragraph.append(h("br"));
          paragraph.append(...inline(lines[index++] ?? ""));
          first = false;
        }
        blocks.push(paragraph);
      }
    }
  }
  return blocks;
}

const inlinePattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\(https?:\/\/[^\s)]+\))/g;

/**
 * @param {string} text
 * @returns {(Node | string)[]}
 */
function inline(text) {
  /** @type {(Node | string)[]} */
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(inlinePattern)) {
    const index = match.index ?? 0;
    if (index > last) nodes.push(text.slice(last, index));
    const token = match[0];
    if (token.startsWith("`")) nodes.push(h("code", null, token.slice(1, -1)));
    else if (token.startsWith("**")) nodes.push(h("strong", null, token.slice(2, -2)));
    else if (token.startsWith("*")) nodes.push(h("em", null, token.slice(1, -1)));
    else {
      const close = token.indexOf("](");
      const href = token.slice(close + 2, -1);
      nodes.push(h("a", { href, target: "_blank", rel: "noopener noreferrer" }, token.slice(1, close)));
    }
    last = index + token.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}
