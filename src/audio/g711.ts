/**
 * G.711 (ITU-T): μ-law (`audio/pcmu`, North America, Japan) and A-law (`audio/pcma`, elsewhere),
 * 8 kHz, one byte per sample: what telephony and SIP gateways speak. Decoding goes through a
 * 256-entry table; encoding is the standard segment search.
 */
export type G711Law = "mu" | "a";

const muLawTable = buildTable(decodeMuLaw);
const aLawTable = buildTable(decodeALaw);

/** G.711 bytes → 16-bit linear samples. */
export function g711ToPcm16(bytes: Uint8Array, law: G711Law): Int16Array {
  const table = law === "mu" ? muLawTable : aLawTable;
  const samples = new Int16Array(bytes.length);
  for (let index = 0; index < bytes.length; index++) samples[index] = table[bytes[index] as number] as number;
  return samples;
}

/** Float samples in [-1, 1] → G.711 bytes. */
export function floatToG711(samples: Float32Array, law: G711Law): Uint8Array {
  const bytes = new Uint8Array(samples.length);
  const encode = law === "mu" ? encodeMuLaw : encodeALaw;
  for (let index = 0; index < samples.length; index++) {
    const value = Math.max(-1, Math.min(1, samples[index] as number));
    bytes[index] = encode(Math.round(value < 0 ? value * 32768 : value * 32767));
  }
  return bytes;
}

function buildTable(decode: (byte: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = decode(byte);
  return table;
}

function decodeMuLaw(byte: number): number {
  const value = ~byte & 0xff;
  const magnitude = ((((value & 0x0f) << 3) + 0x84) << ((value & 0x70) >> 4)) - 0x84;
  return value & 0x80 ? -magnitude : magnitude;
}

function decodeALaw(byte: number): number {
  const value = byte ^ 0x55;
  const exponent = (value & 0x70) >> 4;
  let magnitude = (value & 0x0f) << 4;
  magnitude += exponent === 0 ? 8 : 0x108;
  if (exponent > 1) magnitude <<= exponent - 1;
  return value & 0x80 ? magnitude : -magnitude;
}

function encodeMuLaw(sample: number): number {
  const bias = 0x84;
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(32635, Math.abs(sample)) + bias;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = sign | (exponent << 4) | mantissa;
  return ~magnitude & 0xff;
}

/** Sun's reference g711.c: 13-bit magnitude, segment by the end points, 4 mantissa bits, even bits inverted. */
function encodeALaw(sample: number): number {
  let value = sample >> 3;
  let mask = 0xd5;
  if (value < 0) {
    mask = 0x55;
    value = -value - 1;
  }
  let segment = 0;
  while (segment < 8 && value > (aLawSegmentEnds[segment] as number)) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

const aLawSegmentEnds = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
