import type { VisionModel } from "../spec/index.ts";
import type { OcrEngine } from "./create-ocr-engine.ts";

const noText = "(no text found)";

/**
 * OCR as a vision model: whatever the question or caption length, the answer is the text
 * read from the image, top to bottom. `readText` gives the lines with boxes and confidence.
 */
export function createOcrVisionModel(id: string, engine: OcrEngine): VisionModel {
  const answer = async function* (request: { image: { data: Uint8Array }; signal?: AbortSignal }): AsyncIterable<string> {
    const { text } = await engine.readText(request.image.data, request.signal);
    yield text.length > 0 ? text : noText;
  };
  return {
    id,
    caption: (request) => answer(request),
    query: (request) => answer(request),
    readText: (request) => engine.readText(request.image.data, request.signal),
  };
}
