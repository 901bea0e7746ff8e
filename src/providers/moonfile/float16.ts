/** IEEE 754 half precision ↔ single precision, for models whose tensors are float16 (Node 20 has no Float16Array). */
const floatView = new Float32Array(1);
const intView = new Uint32Array(floatView.buffer);

export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function float32ToFloat16(value: number): number {
  floatView[0] = value;
  const bits = intView[0] as number;
  const sign = (bits >> 16) & 0x8000;
  const exponent = ((bits >> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 0x1f) return ((bits >> 23) & 0xff) === 0xff && mantissa !== 0 ? 0x7e00 : sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - exponent;
    const rounded = (mantissa + (1 << (shift - 1)) - 1 + ((mantissa >> shift) & 1)) >> shift;
    return sign | rounded;
  }
  // Round to nearest even; a carry into the exponent is what IEEE rounding wants.
  const rounded = mantissa + 0xfff + ((mantissa >> 13) & 1);
  return (sign | (exponent << 10)) + (rounded >> 13);
}

export function toFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) out[index] = float32ToFloat16(values[index] as number);
  return out;
}

export function fromFloat16Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index++) out[index] = float16ToFloat32(bits[index] as number);
  return out;
}
