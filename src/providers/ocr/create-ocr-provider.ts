import type { ProviderConfig } from "../../config/schema.ts";
import { errors } from "../../errors/errors.ts";
import type { Provider } from "../spec/index.ts";
import { createOcrEngine, type OcrEngine } from "./create-ocr-engine.ts";
import { createOcrVisionModel } from "./create-ocr-vision-model.ts";

export type OcrProviderConfig = Extract<ProviderConfig, { type: "ocr" }>;

/** The one model the embedded OCR provider serves: PaddleOCR PP-OCRv4. */
export const ocrModelName = "ppocr-v4";

/** The `ocr` provider: embedded text recognition, listed as a model with capability `ocr`. */
export function createOcrProvider(providerConfig: OcrProviderConfig, engine: OcrEngine = createOcrEngine()): Provider {
  const id = `${providerConfig.id}/${ocrModelName}`;
  return {
    id: providerConfig.id,
    type: "ocr",
    async listModels() {
      return [
        {
          id,
          providerId: providerConfig.id,
          name: ocrModelName,
          capabilities: ["ocr"],
          state: "available",
          metadata: { engine: "PaddleOCR PP-OCRv4 (onnxruntime)", languages: ["en", "zh"] },
        },
      ];
    },
    async health() {
      return { status: "ok" };
    },
    visionModel(modelName) {
      if (modelName !== ocrModelName) throw errors.modelNotFound(`${providerConfig.id}/${modelName}`);
      return createOcrVisionModel(id, engine);
    },
  };
}
