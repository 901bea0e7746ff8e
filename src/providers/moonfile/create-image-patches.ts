/** How the image was cut: rows × columns of crops besides the global view ((1, 1): the global view alone). */
export type PatchTemplate = readonly [rows: number, columns: number];

export interface ImagePatches {
  /** [patches, 3, size, size], normalised to −1..1 (mean 0.5, std 0.5), global view first. */
  values: Float32Array;
  count: number;
  template: PatchTemplate;
}

const templates: PatchTemplate[] = [
  [1, 2],
  [2, 1],
  [2, 2],
];

/**
 * preprocess.py's create_patches: the whole image resized to size × size (bicubic), plus, for
 * images at least 1.4 × size on their longer side, crops on the 1×2, 2×1 or 2×2 grid closest to
 * the aspect ratio, each resized the same way.
 */
export async function createImagePatches(image: Uint8Array, size: number): Promise<ImagePatches> {
  const { default: sharp } = await import("sharp");
  const source = sharp(image).removeAlpha().toColourspace("srgb");
  const { width = 0, height = 0 } = await source.metadata();
  if (width === 0 || height === 0) throw new Error("the image has no pixels");
  const crops: { left: number; top: number; width: number; height: number }[] = [];
  let template: PatchTemplate = [1, 1];
  if (Math.max(width, height) >= size * 1.4) {
    const aspect = width / height;
    template = templates.reduce((best, candidate) =>
      Math.abs(candidate[1] / candidate[0] - aspect) < Math.abs(best[1] / best[0] - aspect) ? candidate : best,
    );
    const cropWidth = Math.floor(width / template[1]);
    const cropHeight = Math.floor(height / template[0]);
    for (let row = 0; row < template[0]; row++) {
      for (let column = 0; column < template[1]; column++) {
        crops.push({ left: column * cropWidth, top: row * cropHeight, width: cropWidth, height: cropHeight });
      }
    }
  }
  const pixelsPerPatch = 3 * size * size;
  const values = new Float32Array((1 + crops.length) * pixelsPerPatch);
  const views = [source.clone(), ...crops.map((crop) => sharp(image).removeAlpha().toColourspace("srgb").extract(crop))];
  for (const [index, view] of views.entries()) {
    const rgb = await view.resize(size, size, { fit: "fill", kernel: "cubic" }).raw().toBuffer();
    const base = index * pixelsPerPatch;
    // HWC bytes → CHW floats, (x / 255 − 0.5) / 0.5.
    for (let pixel = 0; pixel < size * size; pixel++) {
      for (let channel = 0; channel < 3; channel++) {
        values[base + channel * size * size + pixel] = (rgb[pixel * 3 + channel] as number) / 127.5 - 1;
      }
    }
  }
  return { values, count: views.length, template };
}

/**
 * onnx_vl.py's encode_image between the vision encoder and the projection: patch features
 * [patches, tokens, channels] → [tokens, 2 × channels], the global view's features beside either
 * a copy of themselves (no crops) or the crops laid out on their grid and average-pooled back to
 * the token grid.
 */
export function combinePatchFeatures(features: Float32Array, count: number, template: PatchTemplate, channels: number): Float32Array {
  const tokens = features.length / count / channels;
  const side = Math.round(Math.sqrt(tokens));
  const out = new Float32Array(tokens * channels * 2);
  for (let token = 0; token < tokens; token++) out.set(features.subarray(token * channels, (token + 1) * channels), token * 2 * channels);
  if (template[0] === 1 && template[1] === 1) {
    for (let token = 0; token < tokens; token++) {
      out.set(features.subarray(token * channels, (token + 1) * channels), token * 2 * channels + channels);
    }
    return out;
  }
  const [rows, columns] = template;
  const gridHeight = rows * side;
  const gridWidth = columns * side;
  const featureAt = (y: number, x: number, channel: number) => {
    const row = Math.floor(y / side);
    const column = Math.floor(x / side);
    // As the client indexes it: patch r·columns + c of the encoder output, whose index 0 is the global view.
    const patch = row * columns + column;
    const token = (y % side) * side + (x % side);
    return features[(patch * tokens + token) * channels + channel] as number;
  };
  // adaptive_avg_pool2d as preprocess.py writes it: stride ⌊in/out⌋, kernel in − (out − 1)·stride.
  const strideY = Math.floor(gridHeight / side);
  const strideX = Math.floor(gridWidth / side);
  const kernelY = gridHeight - (side - 1) * strideY;
  const kernelX = gridWidth - (side - 1) * strideX;
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const target = (i * side + j) * 2 * channels + channels;
      for (let channel = 0; channel < channels; channel++) {
        let sum = 0;
        for (let y = i * strideY; y < i * strideY + kernelY; y++) {
          for (let x = j * strideX; x < j * strideX + kernelX; x++) sum += featureAt(y, x, channel);
        }
        out[target + channel] = sum / (kernelY * kernelX);
      }
    }
  }
  return out;
}
