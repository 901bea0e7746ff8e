import { z } from "zod";
import { UpstreamError } from "../../errors/upstream-error.ts";
import { serverSentEventData } from "../http/server-sent-events.ts";
import { streamedErrorMessage, type UpstreamClient } from "../http/upstream-client.ts";
import type { TranscriptionModel, TranscriptionRequest, TranscriptionResult, TranscriptionStreamPart } from "../spec/index.ts";

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
const logprobSchema = z.looseObject({
  token: z.string().optional(),
  bytes: z.array(z.number()).optional(),
  logprob: z.number().optional(),
});
const tokenUsageSchema = z.looseObject({
  type: z.literal("tokens"),
  input_tokens: z.number(),
  output_tokens: z.number(),
  total_tokens: z.number(),
  input_token_details: z.looseObject({ audio_tokens: z.number().optional(), text_tokens: z.number().optional() }).optional(),
});
/** The events of OpenAI's transcript stream Station relays; others (diarized segments) are skipped. */
const streamEventSchema = z.looseObject({ type: z.string() });
const deltaEventSchema = z.looseObject({ delta: z.string(), logprobs: z.array(logprobSchema).optional() });
const doneEventSchema = z.looseObject({ text: z.string(), usage: z.unknown().optional() });

/**
 * POST /audio/transcriptions and /audio/translations of an OpenAI-compatible server (OpenAI,
 * Speaches, LocalAI, whisper.cpp server), as multipart/form-data like the official client sends.
 * Station asks for verbose_json when timestamps are wanted and formats srt/vtt itself, so every
 * server's reply is parsed the same way. A streamed transcript forwards `stream=true` and relays
 * the server's transcript events; a server that ignores `stream` and answers JSON (whisper-1,
 * most Whisper servers) is relayed as one delta and the done event.
 */
export function createOpenAiTranscriptionModel(client: UpstreamClient, providerId: string, modelName: string): TranscriptionModel {
  const post = async (request: TranscriptionRequest, stream: boolean) => {
    const path = request.task === "translate" ? "/audio/translations" : "/audio/transcriptions";
    const form = new FormData();
    const bytes = request.audio.data;
    form.append(
      "file",
      new Blob([new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { type: request.audio.mediaType }),
      request.audio.fileName,
    );
    form.append("model", modelName);
    const verbose = !stream && request.timestamps !== undefined && request.timestamps.length > 0;
    form.append("response_format", verbose ? "verbose_json" : "json");
    if (request.prompt !== undefined) form.append("prompt", request.prompt);
    if (request.temperature !== undefined) form.append("temperature", String(request.temperature));
    if (request.task === "transcribe") {
      if (request.language !== undefined) form.append("language", request.language);
      for (const granularity of verbose ? (request.timestamps ?? []) : []) form.append("timestamp_granularities[]", granularity);
      if (stream) form.append("stream", "true");
    }
    // Let fetch's own encoder write the multipart body and its boundary.
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const contentType = encoded.headers.get("content-type") ?? "multipart/form-data";
    const response = await client.send({ method: "POST", path, body, signal: request.signal, headers: { "content-type": contentType } });
    if (response.statusCode >= 300) throw await client.statusError(response, path);
    return { path, response };
  };

  const parseReply = (path: string, text: string): TranscriptionResult => {
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
  };

  return {
    id: `${providerId}/${modelName}`,
    async transcribe(request): Promise<TranscriptionResult> {
      const { path, response } = await post(request, false);
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw client.connectionError(error, path);
      }
      return parseReply(path, text);
    },
    async *transcribeStream(request): AsyncGenerator<TranscriptionStreamPart> {
      const { path, response } = await post(request, true);
      if (!String(response.headers["content-type"] ?? "").includes("text/event-stream")) {
        let text: string;
        try {
          text = await response.body.text();
        } catch (error) {
          throw client.connectionError(error, path);
        }
        const result = parseReply(path, text);
        if (result.text !== "") yield { type: "text-delta", delta: result.text };
        yield { type: "finish", result };
        return;
      }
      let streamed = "";
      try {
        for await (const data of serverSentEventData(response.body)) {
          if (data === "[DONE]") continue;
          let json: unknown;
          try {
            json = JSON.parse(data);
          } catch (error) {
            throw client.streamError(path, `sent a transcript event that is not JSON: ${data.slice(0, 200)}`, error);
          }
          const failure = (json as { error?: unknown } | null)?.error;
          if (failure !== undefined && failure !== null)
            throw client.streamError(path, `reported an error mid-stream: ${streamedErrorMessage(failure)}`);
          const type = streamEventSchema.safeParse(json).data?.type;
          const unreadable = () => client.streamError(path, `sent a transcript event Station cannot read: ${data.slice(0, 200)}`);
          if (type === "transcript.text.delta") {
            const event = deltaEventSchema.safeParse(json);
            if (!event.success) throw unreadable();
            streamed += event.data.delta;
            const { delta, logprobs } = event.data;
            yield { type: "text-delta", delta, ...(logprobs === undefined ? {} : { logprobs }) };
          } else if (type === "transcript.text.done") {
            const event = doneEventSchema.safeParse(json);
            if (!event.success) throw unreadable();
            const usage = tokenUsageSchema.safeParse(event.data.usage);
            yield { type: "finish", result: { text: event.data.text }, ...(usage.success ? { usage: usage.data } : {}) };
            return;
          } else if (type === undefined) throw unreadable();
        }
      } catch (error) {
        if (error instanceof UpstreamError) throw error;
        throw client.connectionError(error, path);
      }
      throw client.streamError(path, `ended its transcript stream without transcript.text.done (after ${streamed.length} characters)`);
    },
  };
}
