/**
 * Moondream-style vision skills. Providers that are natively vision models (Moondream, OCR)
 * implement this directly; Station derives it from vision-capable chat models elsewhere.
 */
import type { ImagePart } from "./chat-model.ts";

export type CaptionLength = "short" | "normal" | "long";

export interface VisionRequestBase {
  model: string;
  image: ImagePart;
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

export interface VisionModel {
  readonly id: string;
  caption(request: VisionRequestBase & { length: CaptionLength }): AsyncIterable<string>;
  query(request: VisionRequestBase & { question: string; reasoning?: boolean }): AsyncIterable<string>;
  detect?(request: VisionRequestBase & { object: string }): Promise<BoundingBox[]>;
  point?(request: VisionRequestBase & { object: string }): Promise<Point[]>;
}
