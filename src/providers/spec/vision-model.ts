/**
 * Moondream-style vision skills. Providers that are natively vision models (Moondream, OCR)
 * implement this directly; Station derives it from vision-capable chat models elsewhere.
 */
import type { ImagePart } from "./chat-model.ts";

export type CaptionLength = "short" | "normal" | "long";

export interface VisionRequestBase {
  model: string;
  image: ImagePart;
  /** sha256 of the image bytes when the caller has it (engines that cache encodings key on it). */
  contentHash?: string;
  signal?: AbortSignal;
}

export interface BoundingBox {
  /** Normalised 0..1 coordinates. */
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}

export interface Point {
  x: number;
  y: number;
}

/** One line of text an OCR engine read. */
export interface TextLine {
  text: string;
  box: BoundingBox;
  /** 0..1 */
  confidence: number;
}

export interface ReadTextResult {
  /** Every line, top to bottom, joined with "\n". */
  text: string;
  lines: TextLine[];
}

export interface VisionModel {
  readonly id: string;
  caption(request: VisionRequestBase & { length: CaptionLength }): AsyncIterable<string>;
  query(request: VisionRequestBase & { question: string; reasoning?: boolean }): AsyncIterable<string>;
  detect?(request: VisionRequestBase & { object: string }): Promise<BoundingBox[]>;
  point?(request: VisionRequestBase & { object: string }): Promise<Point[]>;
  /** OCR engines: the text in the image, line by line with boxes and confidence. */
  readText?(request: VisionRequestBase): Promise<ReadTextResult>;
}
