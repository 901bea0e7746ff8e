/**
 * How deep client JSON may nest. Real requests stay far below it (an OpenAI tool schema with ten
 * levels of objects is ~30), while every recursive walk after parsing (JSON.stringify in the relay,
 * schema validators, template engines) overflows the stack somewhere past a few thousand levels:
 * an 8 KB body of `[[[[…` used to be a 500.
 */
export const maxJsonDepth = 128;

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const openBracket = 0x5b;
const closeBrace = 0x7d;
const closeBracket = 0x5d;

/**
 * True when `text` opens more than `maxDepth` nested objects/arrays. One pass before JSON.parse,
 * skipping over strings with indexOf (the bulk of a large body is base64 inside strings), so it
 * costs little next to the parse. Malformed text is left for JSON.parse to report.
 */
export function exceedsJsonDepth(text: string, maxDepth = maxJsonDepth): boolean {
  // A body shorter than the limit cannot open more brackets than it has characters.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === quote) {
      index = closingQuote(text, index);
    } else if (code === openBrace || code === openBracket) {
      if (++depth > maxDepth) return true;
    } else if (code === closeBrace || code === closeBracket) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote that ends the string opened at `open` (text.length when it never ends). */
function closingQuote(text: string, open: number): number {
  let index = open;
  for (;;) {
    index = text.indexOf('"', index + 1);
    if (index === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(index - 1 - backslashes) === backslash) backslashes++;
    if (backslashes % 2 === 0) return index;
  }
}
