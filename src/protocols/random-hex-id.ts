import { randomFillSync } from "node:crypto";

/**
 * Random bytes drawn ahead in one call and written out in hex at once, the way `randomUUID` caches
 * its entropy: `randomBytes(16)` per id cost ~5 µs of CPU on Node 20 (a responses request makes
 * three), and even a hex `toString` of a slice of a pool per id was a native call with its own
 * encoding lookup on every reply of every translated surface; a slice of the pool's hex text is not.
 */
const poolBytes = 4096;
const pool = Buffer.allocUnsafe(poolBytes);
let hex = "";
/** In bytes of the pool: the hex text's offset is twice it. */
let offset = poolBytes;

/** `prefix` followed by `bytes` random bytes in hex (an id a client cannot guess or collide with). */
export function randomHexId(prefix: string, bytes: number): string {
  if (offset + bytes > poolBytes) {
    randomFillSync(pool);
    hex = pool.toString("hex");
    offset = 0;
  }
  const id = prefix + hex.slice(offset * 2, (offset + bytes) * 2);
  offset += bytes;
  return id;
}
