import type { TranscriptionResult, TranscriptSegment } from "../providers/spec/index.ts";

export type TranscriptionFormat = "json" | "text" | "verbose_json" | "srt" | "vtt";

export interface FormattedTranscription {
  contentType: string;
  body: string | Record<string, unknown>;
}

/** A transcription in OpenAI's response formats (srt and vtt cue by segment; one cue when the model gave none). */
export function formatTranscription(
  result: TranscriptionResult,
  format: TranscriptionFormat,
  context: { task: "transcribe" | "translate"; durationSeconds: number; words: boolean; segments: boolean },
): FormattedTranscription {
  const duration = result.durationSeconds ?? context.durationSeconds;
  const text = result.text.trim();
  switch (format) {
    case "text":
      return { contentType: "text/plain; charset=utf-8", body: `${text}\n` };
    case "json":
      return { contentType: "application/json; charset=utf-8", body: { text } };
    case "verbose_json":
      return {
        contentType: "application/json; charset=utf-8",
        body: {
          task: context.task === "translate" ? "translate" : "transcribe",
          language: context.task === "translate" ? "english" : (result.language ?? "unknown"),
          duration,
          text,
          ...(context.words ? { words: (result.words ?? []).map((word) => ({ ...word })) } : {}),
          ...(context.segments || !context.words
            ? {
                segments: segmentsOf(result, duration).map((segment, id) => ({
                  id,
                  seek: 0,
                  start: segment.start,
                  end: segment.end,
                  text: segment.text,
                  tokens: [],
                  temperature: 0,
                  avg_logprob: 0,
                  compression_ratio: 0,
                  no_speech_prob: 0,
                })),
              }
            : {}),
        },
      };
    case "srt":
      return {
        contentType: "text/plain; charset=utf-8",
        body: segmentsOf(result, duration)
          .map((segment, index) => `${index + 1}\n${clock(segment.start, ",")} --> ${clock(segment.end, ",")}\n${segment.text.trim()}\n`)
          .join("\n"),
      };
    case "vtt":
      return {
        contentType: "text/vtt; charset=utf-8",
        body: `WEBVTT\n\n${segmentsOf(result, duration)
          .map((segment) => `${clock(segment.start, ".")} --> ${clock(segment.end, ".")}\n${segment.text.trim()}\n`)
          .join("\n")}`,
      };
  }
}

function segmentsOf(result: TranscriptionResult, duration: number): TranscriptSegment[] {
  if (result.segments !== undefined && result.segments.length > 0) return result.segments;
  return result.text.trim().length === 0 ? [] : [{ start: 0, end: duration, text: result.text.trim() }];
}

/** 00:00:01,500 (srt) or 00:00:01.500 (vtt). */
function clock(seconds: number, separator: "," | "."): string {
  const millis = Math.max(0, Math.round(seconds * 1000));
  const pad = (value: number, width = 2) => String(value).padStart(width, "0");
  const hours = Math.floor(millis / 3_600_000);
  const minutes = Math.floor((millis % 3_600_000) / 60_000);
  const secs = Math.floor((millis % 60_000) / 1000);
  return `${pad(hours)}:${pad(minutes)}:${pad(secs)}${separator}${pad(millis % 1000, 3)}`;
}
