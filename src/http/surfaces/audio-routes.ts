import { Readable } from "node:stream";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { formatTranscription } from "../../audio/format-transcription.ts";
import { transcriptEvents } from "../../audio/transcript-events.ts";
import { errors } from "../../errors/errors.ts";
import type { Station } from "../../station/station.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";
import { registerMultipartForms } from "./register-multipart-forms.ts";

const transcriptionFieldsSchema = z.object({
  model: z.string().min(1).max(256).optional(),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, "an ISO-639-1 code such as 'en'")
    .optional(),
  prompt: z.string().max(10_000).optional(),
  response_format: z.enum(["json", "text", "verbose_json", "srt", "vtt"]).default("json"),
  temperature: z.coerce.number().min(0).max(1).optional(),
  timestamp_granularities: z.array(z.enum(["segment", "word"])).optional(),
  stream: z.enum(["true", "false"]).optional(),
});

export const speechBodySchema = z.looseObject({
  model: z.string().min(1).max(256).optional(),
  input: z.string().min(1, "input must not be empty"),
  voice: z.union([z.string().min(1).max(128), z.looseObject({ id: z.string().min(1).max(128) })]).optional(),
  response_format: z.enum(["mp3", "wav", "pcm", "opus", "flac", "aac"]).default("mp3"),
  speed: z.number().min(0.25).max(4).optional(),
  instructions: z.string().max(10_000).optional(),
  stream_format: z.enum(["audio", "sse"]).default("audio"),
});

/**
 * OpenAI's audio endpoints: POST /v1/audio/transcriptions and /v1/audio/translations (multipart,
 * field 'file') and POST /v1/audio/speech (JSON in, audio streamed out, or SSE with
 * stream_format 'sse').
 */
export const audioRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { audio } = station;
  const maxBytes = station.config.audio.maxBytes;
  const maxChars = station.config.audio.maxSpeechChars;
  const forms = registerMultipartForms(app, { maxFileBytes: maxBytes, fields: 20, parts: 30, fieldBytes: 64 * 1024 });

  const transcriptionHandler = (task: "transcribe" | "translate") => async (request: FastifyRequest, reply: FastifyReply) => {
    const form = await forms.read(request, "the audio with a 'file' field");
    const { timestamp_granularities: single, ...named } = form.fields;
    const granularityList = form.lists.timestamp_granularities ?? (single === undefined ? undefined : [single]);
    const parsed = transcriptionFieldsSchema.safeParse(
      granularityList === undefined ? named : { ...named, timestamp_granularities: granularityList },
    );
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw errors.invalidRequest(issue?.message ?? "invalid form field", issue?.path.join(".") || undefined);
    }
    const fields = parsed.data;
    if (form.file === undefined || form.file.fieldname !== "file")
      throw errors.invalidRequest("No audio file: send it in a multipart field named 'file'", "file");
    const granularities = fields.timestamp_granularities;
    if (granularities !== undefined && fields.response_format !== "verbose_json")
      throw errors.invalidRequest("timestamp_granularities needs response_format 'verbose_json'", "timestamp_granularities");
    const wantsSegments = fields.response_format === "verbose_json" || fields.response_format === "srt" || fields.response_format === "vtt";
    const timestamps = granularities ?? (wantsSegments ? ["segment" as const] : undefined);
    const signal = abortOnDisconnect(reply);
    const input = {
      model: fields.model,
      file: { data: form.file.bytes, fileName: form.file.filename },
      task,
      language: task === "transcribe" ? fields.language : undefined,
      prompt: fields.prompt,
      temperature: fields.temperature,
      timestamps,
      signal,
    };
    if (fields.stream === "true" && task === "transcribe") {
      // Errors up to the first part are still a status and an error body; after it, an error event.
      const { parts } = await audio.transcribeStream({ ...input, timestamps: undefined });
      const stream = Readable.from(transcriptEvents(parts), { objectMode: false });
      stream.on("error", (error) => {
        if (!signal.aborted) request.log.warn({ err: error }, "transcript stream failed");
      });
      return reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-cache").send(stream);
    }
    const { result, audio: decoded } = await audio.transcribe(input);
    const formatted = formatTranscription(result, fields.response_format, {
      task,
      durationSeconds: decoded.durationSeconds,
      words: granularities?.includes("word") ?? false,
      segments: granularities === undefined || granularities.includes("segment"),
    });
    return reply.header("content-type", formatted.contentType).send(formatted.body);
  };

  app.post(
    "/v1/audio/transcriptions",
    {
      schema: {
        tags: ["audio"],
        summary: `Speech to text (multipart: file, model, language, prompt, response_format, timestamp_granularities[]; at most ${maxBytes} bytes)`,
      },
    },
    transcriptionHandler("transcribe"),
  );
  app.post(
    "/v1/audio/translations",
    { schema: { tags: ["audio"], summary: "Speech in any language to English text (multipart: file, model, prompt, response_format)" } },
    transcriptionHandler("translate"),
  );

  app.post(
    "/v1/audio/speech",
    { schema: { tags: ["audio"], summary: "Text to speech (mp3, wav, pcm, opus, flac, aac), streamed", body: speechBodySchema } },
    async (request, reply) => {
      const body = request.body;
      if (body.input.length > maxChars)
        throw errors.invalidRequest(`input is ${body.input.length} characters; the limit is ${maxChars} (audio.maxSpeechChars)`, "input");
      const signal = abortOnDisconnect(reply);
      const spoken = await audio.speak({
        model: body.model,
        input: body.input,
        voice: typeof body.voice === "object" ? body.voice.id : body.voice,
        format: body.response_format,
        speed: body.speed,
        instructions: body.instructions,
        signal,
      });
      // The first chunk decides the status: an encoder that fails at once is still a clean error.
      const iterator = spoken.chunks[Symbol.asyncIterator]();
      const first = await iterator.next();
      async function* rest(): AsyncGenerator<Uint8Array> {
        try {
          let part = first;
          while (!part.done) {
            yield part.value;
            part = await iterator.next();
          }
        } finally {
          await iterator.return?.();
        }
      }
      if (body.stream_format === "sse") {
        async function* events(): AsyncGenerator<string> {
          for await (const chunk of rest()) {
            yield `data: ${JSON.stringify({ type: "speech.audio.delta", audio: Buffer.from(chunk).toString("base64") })}\n\n`;
          }
          yield `data: ${JSON.stringify({ type: "speech.audio.done", usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 } })}\n\n`;
        }
        return reply
          .header("content-type", "text/event-stream; charset=utf-8")
          .header("cache-control", "no-cache")
          .send(Readable.from(events()));
      }
      const stream = Readable.from(rest(), { objectMode: false });
      stream.on("error", (error) => request.log.warn({ err: error }, "speech stream failed midway"));
      return reply.header("content-type", spoken.contentType).header("x-station-model", spoken.model).send(stream);
    },
  );
};
