/**
 * Secrets replaced inside bytes relayed from an upstream untouched (a whole JSON reply, an SSE or
 * NDJSON stream), without decoding them: Buffer.indexOf per needle (native), so a body without a
 * secret is scanned, not copied, and keeps its bytes exactly (a multi-byte character split across
 * two chunks included).
 */
const replacementBytes = Buffer.from("[redacted]");

/** Bytes enough to tell a secret apart from ordinary text (secrets are at least this long). */
const probeLength = 8;

/**
 * What to look for first: the distinct leading bytes of the needles that contain no other needle.
 * A body without any of them holds no needle, so the common case is one or two native searches
 * (a secret's spellings share their start: the webhook secret's four are one probe), whatever
 * the number of spellings.
 */
export function probesFor(needles: readonly Buffer[]): Buffer[] {
  const minimal = needles.filter(
    (needle) => !needles.some((other) => other !== needle && other.length < needle.length && needle.includes(other)),
  );
  const probes: Buffer[] = [];
  for (const needle of minimal) {
    const probe = needle.subarray(0, probeLength);
    if (!probes.some((known) => known.equals(probe))) probes.push(probe);
  }
  return probes;
}

/** `bytes` with every needle replaced (longest first where two start at once); the same Buffer when none occurs. */
export function redactBytes(bytes: Buffer, needles: readonly Buffer[], probes: readonly Buffer[] = needles): Buffer {
  let probed = false;
  for (const probe of probes) {
    if (bytes.indexOf(probe) !== -1) {
      probed = true;
      break;
    }
  }
  if (!probed) return bytes;
  const first = nextMatch(bytes, needles, 0);
  if (first === -1) return bytes;
  const parts: Buffer[] = [];
  let from = 0;
  let at = first;
  while (at !== -1) {
    // The longest needle that starts here (needles are sorted longest first).
    const needle = needles.find((candidate) => bytes.indexOf(candidate, at) === at) as Buffer;
    parts.push(bytes.subarray(from, at), replacementBytes);
    from = at + needle.length;
    at = nextMatch(bytes, needles, from);
  }
  parts.push(bytes.subarray(from));
  return Buffer.concat(parts);
}

function nextMatch(bytes: Buffer, needles: readonly Buffer[], from: number): number {
  let next = -1;
  for (const needle of needles) {
    const at = bytes.indexOf(needle, from);
    if (at !== -1 && (next === -1 || at < next)) next = at;
  }
  return next;
}

/**
 * Where a proper prefix of some needle begins at the end of `bytes` (a secret that may go on in
 * the next chunk), or `bytes.length` when none does. Only the last `longest - 1` bytes are looked
 * at, for each needle's first byte: SSE and NDJSON chunks end with a newline, which starts no
 * secret, so this finds nothing on the common path.
 */
function partialTail(bytes: Buffer, needles: readonly Buffer[]): number {
  let earliest = bytes.length;
  for (const needle of needles) {
    const first = needle[0] as number;
    let at = bytes.indexOf(first, Math.max(0, bytes.length - needle.length + 1));
    while (at !== -1 && at < earliest) {
      if (bytes.compare(needle, 0, bytes.length - at, at) === 0) {
        earliest = at;
        break;
      }
      at = bytes.indexOf(first, at + 1);
    }
  }
  return earliest;
}

/**
 * Redaction over one relayed stream, chunk by chunk: a secret split across two chunks is caught
 * by holding back a chunk's last bytes when, and only when, they begin a secret, until the next
 * chunk (or the end) says whether it is one.
 */
export class StreamRedaction {
  private held: Buffer | undefined;

  constructor(
    private readonly needles: readonly Buffer[],
    private readonly probes: readonly Buffer[] = needles,
  ) {}

  /** What of `chunk` (after anything held back) can be sent now, redacted; possibly empty. */
  push(chunk: Buffer): Buffer {
    const bytes = redactBytes(this.held === undefined ? chunk : Buffer.concat([this.held, chunk]), this.needles, this.probes);
    const tail = partialTail(bytes, this.needles);
    this.held = tail === bytes.length ? undefined : bytes.subarray(tail);
    return tail === bytes.length ? bytes : bytes.subarray(0, tail);
  }

  /** The bytes held back at the end of the stream (no secret: it ended before one completed). */
  end(): Buffer | undefined {
    const held = this.held;
    this.held = undefined;
    return held;
  }
}
