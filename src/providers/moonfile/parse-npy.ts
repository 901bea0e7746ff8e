/** A NumPy array as the client's np.load gives it: float16 bits or float32 values, C order. */
export interface NpyArray {
  dtype: "float16" | "float32";
  shape: number[];
  data: Uint16Array | Float32Array;
}

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Reads a .npy file (format versions 1–3) holding a little-endian float16 or float32 array. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || magic.some((byte, index) => bytes[index] !== byte)) throw new Error("not a .npy array (no NUMPY magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] as number;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw new Error("the .npy header is cut off");
  const header = new TextDecoder("latin1").decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`unreadable .npy header: ${header.trim()}`);
  if (fortran === "True") throw new Error(".npy arrays in Fortran order are not supported");
  const shape = shapeText
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map(Number);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const dtype = descr === "<f2" ? "float16" : descr === "<f4" ? "float32" : undefined;
  if (dtype === undefined) throw new Error(`.npy element type '${descr}' is not supported (float16 or float32)`);
  const width = dtype === "float16" ? 2 : 4;
  if (dataStart + count * width > bytes.length) throw new Error(`the .npy data is cut off (${count} elements of shape [${shape}])`);
  // Copied: the source may not be aligned for a typed array view (and a Buffer's slice is not a copy).
  const raw = new Uint8Array(count * width);
  raw.set(bytes.subarray(dataStart, dataStart + count * width));
  const data = dtype === "float16" ? new Uint16Array(raw.buffer, 0, count) : new Float32Array(raw.buffer, 0, count);
  return { dtype, shape, data };
}
