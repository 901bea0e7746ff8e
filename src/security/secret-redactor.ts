import { probesFor, redactBytes, StreamRedaction } from "./redact-bytes.ts";

/** What a redacted secret reads as. */
export const redactedText = "[redacted]";

/**
 * Values shorter than this are not redacted by value: replacing "abc" everywhere would shred
 * ordinary text (and a secret that short protects nothing anyway). Station warns about them.
 */
export const minimumSecretLength = 8;

/**
 * Replaces every configured secret, by value, wherever it occurs in text bound for a client
 * or the log. Built once from the loaded config (`configuredSecrets`), shared by the logger
 * and every surface's error mapping.
 */
export interface SecretRedactor {
  /** `text` with every secret replaced by `[redacted]`; the same string when none occurs. */
  redact(text: string): string;
  /**
   * Bytes relayed from an upstream as they came (a whole reply): the same Buffer when no secret
   * occurs (nothing is copied or decoded), and when none is configured.
   */
  redactBytes(bytes: Buffer): Buffer;
  /**
   * Redaction for one relayed byte stream (secrets split across chunks included), or undefined
   * when no secret is configured: a relay then writes its chunks as they are, at no cost.
   */
  streamRedaction(): StreamRedaction | undefined;
  /** Adds a secret known only at run time (the generated webhook signing secret). */
  add(secret: string): void;
  /** Configured values too short to redact (see `minimumSecretLength`). */
  readonly tooShort: number;
}

export function createSecretRedactor(secrets: Iterable<string> = []): SecretRedactor {
  // Longest first, so a secret that contains another is replaced whole.
  const needles: string[] = [];
  let tooShort = 0;
  // One alternation scans a line once (about three times faster than an `includes` per needle);
  // `test` on a line without a secret allocates nothing.
  let detect: RegExp | undefined;
  let replaceAll: RegExp | undefined;
  let byteNeedles: Buffer[] = [];
  let byteProbes: Buffer[] = [];
  const add = (secret: string): void => {
    if (secret.length < minimumSecretLength) {
      if (secret.length > 0) tooShort++;
      return;
    }
    // As written, as it reads inside a JSON string (a log line, an event), and URL-encoded.
    for (const variant of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]) {
      if (!needles.includes(variant)) needles.push(variant);
    }
    needles.sort((left, right) => right.length - left.length);
    const source = needles.map((needle) => needle.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|");
    detect = new RegExp(source);
    replaceAll = new RegExp(source, "g");
    // The same needles as bytes, longest first by byte length.
    byteNeedles = needles.map((needle) => Buffer.from(needle)).sort((left, right) => right.length - left.length);
    byteProbes = probesFor(byteNeedles);
  };
  for (const secret of secrets) add(secret);

  const redact = (text: string): string => {
    if (detect === undefined || replaceAll === undefined || !detect.test(text)) return text;
    return text.replace(replaceAll, redactedText);
  };

  return {
    redact,
    redactBytes: (bytes) => (byteNeedles.length === 0 ? bytes : redactBytes(bytes, byteNeedles, byteProbes)),
    streamRedaction: () => (byteNeedles.length === 0 ? undefined : new StreamRedaction(byteNeedles, byteProbes)),
    add,
    get tooShort() {
      return tooShort;
    },
  };
}
