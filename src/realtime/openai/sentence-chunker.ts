/**
 * Cuts streamed text into pieces worth speaking: a sentence (., !, ?, …, or a newline) once it has
 * a few words, so text-to-speech starts on the first sentence while the model writes the next.
 */
export class SentenceChunker {
  private buffer = "";

  constructor(private readonly minChars = 12) {}

  /** Adds text; returns the complete sentences it finished. */
  push(text: string): string[] {
    this.buffer += text;
    const sentences: string[] = [];
    const boundary = /[.!?…]+["')\]]*\s+|\n+/g;
    let start = 0;
    for (let match = boundary.exec(this.buffer); match !== null; match = boundary.exec(this.buffer)) {
      const end = match.index + match[0].length;
      const sentence = this.buffer.slice(start, end).trim();
      if (sentence.length >= this.minChars) {
        sentences.push(sentence);
        start = end;
      }
    }
    this.buffer = this.buffer.slice(start);
    return sentences;
  }

  /** What is left (the end of the reply). */
  flush(): string | undefined {
    const rest = this.buffer.trim();
    this.buffer = "";
    return rest.length > 0 ? rest : undefined;
  }
}
