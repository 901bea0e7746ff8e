/** 16-bit little-endian PCM as the OpenAI Realtime protocol carries it: base64 text. */

/** @param {ArrayBuffer} buffer */
export function bytesToBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  // In slices: String.fromCharCode with one argument per byte overflows the stack on long audio.
  for (let offset = 0; offset < bytes.length; offset += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  }
  return btoa(binary);
}

/**
 * @param {string} base64 PCM16 LE mono
 * @returns {Float32Array} samples -1..1
 */
export function base64ToSamples(base64) {
  const binary = atob(base64);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let index = 0; index < binary.length; index++) view.setUint8(index, binary.charCodeAt(index));
  const samples = new Float32Array(Math.floor(binary.length / 2));
  for (let index = 0; index < samples.length; index++) samples[index] = view.getInt16(index * 2, true) / 0x8000;
  return samples;
}
