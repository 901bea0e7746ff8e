import type { ModelInfo } from "../providers/spec/provider.ts";
import type { BoundingBox, CaptionLength, Point } from "../providers/spec/vision-model.ts";
import type { ImageIntake } from "./create-image-intake.ts";
import type { PreparedImage } from "./prepared-image.ts";

export interface VisionCall {
  /** A model id or route; undefined = the default vision model. */
  model?: string | undefined;
  image: PreparedImage;
  signal?: AbortSignal | undefined;
}

export interface VisionModelDescription {
  id: string;
  /** "native" (a Moondream/OCR provider) or "chat" (a vision chat model driven by prompts). */
  kind: "native" | "chat";
  /** `read_text`: an OCR engine that also returns lines with boxes (VisionModel.readText). */
  capabilities: ("caption" | "query" | "detect" | "point" | "read_text")[];
  info?: ModelInfo;
  /** Set when this model is OCR alone (it reads text, it cannot caption): what to do about it. */
  hint?: string;
}

/** Caption / query / detect / point over whichever vision model serves, native or chat. */
export interface VisionService {
  readonly intake: ImageIntake;
  /** defaults.visionModel, else the first model with capability vision (then ocr). */
  defaultModelId(): string | undefined;
  describe(model?: string): VisionModelDescription;
  caption(call: VisionCall & { length: CaptionLength }): AsyncIterable<string>;
  query(call: VisionCall & { question: string; reasoning?: boolean }): AsyncIterable<string>;
  detect(call: VisionCall & { object: string }): Promise<BoundingBox[]>;
  point(call: VisionCall & { object: string }): Promise<Point[]>;
  close(): Promise<void>;
}
