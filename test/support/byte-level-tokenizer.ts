/** GPT-2's byte → printable character table (what ByteLevel pre-tokenizers and decoders use). */
export function byteCharacters(): string[] {
  const printable = new Set<number>();
  for (let code = 33; code <= 126; code++) printable.add(code);
  for (let code = 161; code <= 172; code++) printable.add(code);
  for (let code = 174; code <= 255; code++) printable.add(code);
  let next = 256;
  return Array.from({ length: 256 }, (_, byte) => String.fromCodePoint(printable.has(byte) ? byte : next++));
}

export interface AddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A special token as tokenizer.json lists it among `added_tokens`. */
export function specialToken(id: number, content: string): AddedToken {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * A tokenizer.json of a GPT-2-style byte-level BPE without merges (text encodes byte by byte
 * unless `vocab` holds whole words), as the tiny test models' loaders read it.
 */
export function byteLevelTokenizer(
  vocab: Record<string, number>,
  addedTokens: AddedToken[],
  options: { postProcessor?: unknown; decoderAddsPrefixSpace?: boolean } = {},
) {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: options.postProcessor ?? null,
    decoder: { type: "ByteLevel", add_prefix_space: options.decoderAddsPrefixSpace ?? false, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}
