import type { UpstreamClient } from "../http/upstream-client.ts";
import type { SpeechModel } from "../spec/index.ts";

/** OpenAI's pcm (and the rate its other formats are made at). */
const openAiSampleRate = 24_000;

/**
 * POST /audio/speech of an OpenAI-compatible server: JSON in, audio bytes streamed back in the
 * format asked for. Resolves when the reply headers arrive; a non-2xx reply is an UpstreamError
 * (so the resilience layer may retry it before any byte reached the client).
 */
export function createOpenAiSpeechModel(client: UpstreamClient, providerId: string, modelName: string): SpeechModel {
  return {
    id: `${providerId}/${modelName}`,
    async speak(request) {
      const path = "/audio/speech";
      const body: Record<string, unknown> = {
        model: modelName,
        input: request.input,
        voice: request.voice ?? "alloy",
        response_format: request.format,
      };
      if (request.speed !== undefined) body.speed = request.speed;
      if (request.instructions !== undefined) body.instructions = request.instructions;
      const response = await client.send({
        method: "POST",
        path,
        body: JSON.stringify(body),
        signal: request.signal,
        headers: { accept: "*/*" },
      });
      if (response.statusCode >= 300) throw await client.statusError(response, path);
      const contentType = String(response.headers["content-type"] ?? "");
      if (contentType.includes("json") || contentType.startsWith("text/")) {
        await response.body.dump();
        throw client.badReply(path, `${contentType} instead of audio`);
      }
      const stream = response.body;
      return {
        format: request.format,
        sampleRate: openAiSampleRate,
        chunks: (async function* () {
          try {
            for await (const chunk of stream) yield chunk as Buffer;
          } catch (error) {
            throw client.connectionError(error, path);
          }
        })(),
      };
    },
  };
}
