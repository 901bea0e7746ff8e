/**
 * Cuts streamed text into pieces worth speaking, so text-to-speech starts while the model writes
 * on. The first piece ends at the first clause boundary (a comma, semicolon, colon or dash
 * followed by a space) once it has a few words: the listener hears the reply start after a few
 * words rather than after a whole sentence, and a speech model's first chunk is made from a
 * short text. Later pieces are whole sentences (., !, ?, …, or a newline), or clauses again when a
 * sentence runs past `maxChars`.
 */
export class SentenceChunker {
  private buffer = "";
  private pieces = 0;

  constructor(
    private readonly minChars = 12,
    private readonly maxChars = 200,
    /** A clause cut off on its own needs more words than a sentence: "Yes," or "The tool said:" alone sounds broken. */
    private readonly minClauseChars = 24,
  ) {}

  /** Adds text; returns the pieces it finished. */
  push(text: string): string[] {
    this.buffer += text;
    const pieces: string[] = [];
    for (;;) {
      const end = this.nextBoundary();
      if (end === undefined) break;
      pieces.push(this.buffer.slice(0, end).trim());
      this.buffer = this.buffer.slice(end);
      this.pieces++;
    }
    return pieces;
  }

  /** What is left (the end of the reply). */
  flush(): string | undefined {
    const rest = this.buffer.trim();
    this.buffer = "";
    return rest.length > 0 ? rest : undefined;
  }

  /** Where the next piece ends in the buffer (just past its boundary), if it is complete. */
  private nextBoundary(): number | undefined {
    const sentence = /[.!?…]+["')\]]*\s+|\n+/g;
    const clause = /[,;:]["')\]]*\s+|\s[-–—]\s+/g;
    const firstAt = (pattern: RegExp, minChars: number) => {
      for (let match = pattern.exec(this.buffer); match !== null; match = pattern.exec(this.buffer)) {
        const end = match.index + match[0].length;
        if (this.buffer.slice(0, end).trim().length >= minChars) return end;
      }
      return undefined;
    };
    const sentenceEnd = firstAt(sentence, this.minChars);
    if (this.pieces > 0 && this.buffer.length <= this.maxChars) return sentenceEnd;
    const clauseEnd = firstAt(clause, this.minClauseChars);
    if (sentenceEnd === undefined) return clauseEnd;
    return clauseEnd === undefined ? sentenceEnd : Math.min(sentenceEnd, clauseEnd);
  }
}
