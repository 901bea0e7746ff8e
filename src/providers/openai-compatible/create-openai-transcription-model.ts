import { z } from "zod";
import type { UpstreamClient } from "../http/upstream-client.ts";
import type { TranscriptionModel, TranscriptionResult } from "../spec/index.ts";

const segmentSchema = z.looseObject({ start: z.number(), end: z.number(), text: z.string() });
const wordSchema = z.looseObject({ word: z.string(), start: z.number(), end: z.number() });
/** OpenAI's json and verbose_json replies (the first is a subset of the second). */
const transcriptionReplySchema = z.looseObject({
  text: z.string(),
  language: z.string().optional(),
  duration: z.number().optional(),
  segments: z.array(segmentSchema).optional(),
  words: z.array(wordSchema).optional(),
});

/**
 * POST /audio/transcriptions and /audio/translations of an OpenAI-compatible server (OpenAI,
 * Speaches, LocalAI, whisper.cpp server), as multipart/form-data like the official client sends.
 * Station asks for verbose_json when timestamps are wanted and formats srt/vtt itself, so every
 * server's reply is parsed the same way.
 */
export function createOpenAiTranscriptionModel(client: UpstreamClient, providerId: string, modelName: string): TranscriptionModel {
  return {
    id: `${providerId}/${modelName}`,
    async transcribe(request): Promise<TranscriptionResult> {
      const path = request.task === "translate" ? "/audio/translations" : "/audio/transcriptions";
      const form = new FormData();
      const bytes = request.audio.data;
      form.append(
        "file",
        new Blob([new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { type: request.audio.mediaType }),
        request.audio.fileName,
      );
      form.append("model", modelName);
      const verbose = request.timestamps !== undefined && request.timestamps.length > 0;
      form.append("response_format", verbose ? "verbose_json" : "json");
      if (request.prompt !== undefined) form.append("prompt", request.prompt);
      if (request.temperature !== undefined) form.append("temperature", String(request.temperature));
      if (request.task === "transcribe") {
        if (request.language !== undefined) form.append("language", request.language);
        for (const granularity of verbose ? (request.timestamps ?? []) : []) form.append("timestamp_granularities[]", granularity);
      }
      // Let fetch's own encoder write the multipart body and its boundary.
      const encoded = new Response(form);
      const body = Buffer.from(await encoded.arrayBuffer());
      const contentType = encoded.headers.get("content-type") ?? "multipart/form-data";
      const response = await client.send({ method: "POST", path, body, signal: request.signal, headers: { "content-type": contentType } });
      if (response.statusCode >= 300) throw await client.statusError(response, path);
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw client.connectionError(error, path);
      }
      let parsed: z.infer<typeof transcriptionReplySchema>;
      try {
        parsed = transcriptionReplySchema.parse(JSON.parse(text));
      } catch {
        throw client.badReply(path, "no transcription (expected JSON with a string 'text')");
      }
      return {
        text: parsed.text,
        ...(parsed.language === undefined ? {} : { language: parsed.language }),
        ...(parsed.duration === undefined ? {} : { durationSeconds: parsed.duration }),
        ...(parsed.segments === undefined
          ? {}
          : { segments: parsed.segments.map(({ start, end, text: segmentText }) => ({ start, end, text: segmentText })) }),
        ...(parsed.words === undefined ? {} : { words: parsed.words.map(({ word, start, end }) => ({ word, start, end })) }),
      };
    },
  };
}
