import { describe, expect, it } from "vitest";
import { SentenceChunker } from "./sentence-chunker.ts";

/** Feeds `text` word by word, as a model streams it; returns every piece in order. */
function chunk(text: string, chunker = new SentenceChunker()): string[] {
  const pieces: string[] = [];
  for (const word of text.split(/(?<= )/)) pieces.push(...chunker.push(word));
  const rest = chunker.flush();
  return rest === undefined ? pieces : [...pieces, rest];
}

describe("SentenceChunker", () => {
  it("ends the first piece at the first clause once it has a few words, then speaks whole sentences", () => {
    expect(chunk("The weather in Paris is sunny, with a light breeze, and mild. Tomorrow looks the same, they say. Enjoy it.")).toEqual([
      "The weather in Paris is sunny,",
      "with a light breeze, and mild.",
      "Tomorrow looks the same, they say.",
      "Enjoy it.",
    ]);
  });

  it("does not cut a few words off at a comma or colon, nor inside a number", () => {
    expect(chunk("Yes, I can do that for you. It costs 1,200 euros.")).toEqual(["Yes, I can do that for you.", "It costs 1,200 euros."]);
    expect(chunk("The tool said: 5.")).toEqual(["The tool said: 5."]);
  });

  it("a sentence that runs on is cut at its clauses", () => {
    const long = `${"word ".repeat(45)}and then, ${"more ".repeat(10)}end.`;
    const pieces = chunk(`First sentence here. ${long}`);
    expect(pieces[0]).toBe("First sentence here.");
    expect(pieces[1]?.endsWith("and then,")).toBe(true);
    expect(pieces.join(" ")).toBe(`First sentence here. ${long}`.trim());
  });

  it("keeps text with no boundary for the flush", () => {
    const chunker = new SentenceChunker();
    expect(chunker.push("no boundary at all")).toEqual([]);
    expect(chunker.flush()).toBe("no boundary at all");
    expect(chunker.flush()).toBeUndefined();
  });
});
