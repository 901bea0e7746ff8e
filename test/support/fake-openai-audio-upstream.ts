/**
 * A fake OpenAI-compatible audio server (OpenAI, Speaches, LocalAI) speaking the wire protocol
 * byte for byte: GET /v1/models, POST /v1/audio/transcriptions and /v1/audio/translations
 * (multipart/form-data, parsed by undici's own multipart parser; json | text | verbose_json
 * replies) and POST /v1/audio/speech (JSON in, audio bytes streamed out in chunks, chunked
 * transfer encoding, Content-Type per format).
 *
 *   const upstream = await startFakeOpenAiAudioUpstream();
 *   upstream.transcript = "hello there";           // what transcriptions answer
 *   upstream.streams = false                        // stream=true answers JSON (as whisper-1 and Whisper servers do)
 *   upstream.breakStreamAfter = 2                   // the next stream fails with an error event after 2 deltas
 *   upstream.fail({ status: 503 })                  // the next POST fails so
 *   upstream.requests                               // path, headers, form fields, file bytes / JSON body
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedAudioRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Multipart text fields (repeated names collect into arrays). */
  fields: Record<string, string | string[]>;
  file?: { name: string; type: string; bytes: Buffer };
  /** JSON body of /audio/speech. */
  json?: Record<string, unknown>;
}

export interface FakeOpenAiAudioUpstream {
  url: string;
  requests: RecordedAudioRequest[];
  transcript: string;
  /** Whether stream=true is answered as OpenAI's transcript event stream, one delta per word (default true). */
  streams: boolean;
  /** Set: the next transcript stream sends an error event after this many deltas (then it is cleared). */
  breakStreamAfter: number | undefined;
  /** The PCM (24 kHz s16le) /audio/speech sends for pcm and wav. */
  readonly speechPcm: Buffer;
  /** Bytes sent for the formats the fake does not really encode (mp3, opus, ...): a recognisable pattern. */
  encodedSpeech(format: string): Buffer;
  fail(fault: { status: number; message?: string }, times?: number): void;
  close(): Promise<void>;
}

export async function startFakeOpenAiAudioUpstream(
  options: { models?: string[]; chunkBytes?: number } = {},
): Promise<FakeOpenAiAudioUpstream> {
  const models = options.models ?? ["whisper-test", "tts-test"];
  const chunkBytes = options.chunkBytes ?? 4800;
  const requests: RecordedAudioRequest[] = [];
  const faults: { status: number; message?: string }[] = [];
  const sockets = new Set<Socket>();
  // Half a second of a 440 Hz tone.
  const speechPcm = Buffer.alloc(24_000);
  for (let index = 0; index < speechPcm.length / 2; index++)
    speechPcm.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * index) / 24_000) * 8000), index * 2);
  const encodedSpeech = (format: string) => Buffer.concat([Buffer.from(`FAKE-${format.toUpperCase()}-`), speechPcm.subarray(0, 9000)]);

  const fake: FakeOpenAiAudioUpstream = {
    url: "",
    requests,
    transcript: "Hello from the fake audio upstream.",
    streams: true,
    breakStreamAfter: undefined,
    speechPcm,
    encodedSpeech,
    fail(fault, times = 1) {
      for (let index = 0; index < times; index++) faults.push(fault);
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
    if (request.method === "GET" && path === "/v1/models") {
      return sendJson(response, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "fake" })),
      });
    }
    const recorded: RecordedAudioRequest = { path, headers: request.headers, fields: {} };
    requests.push(recorded);
    const fault = request.method === "POST" ? faults.shift() : undefined;
    if (fault !== undefined) {
      return sendJson(response, fault.status, {
        error: { message: fault.message ?? "fake failure", type: "server_error", param: null, code: null },
      });
    }
    if (path === "/v1/audio/transcriptions" || path === "/v1/audio/translations") {
      let form: FormData;
      try {
        form = await new Request("http://fake/", {
          method: "POST",
          headers: { "content-type": String(request.headers["content-type"]) },
          body,
        }).formData();
      } catch {
        return sendJson(response, 400, {
          error: { message: "Could not parse multipart form", type: "invalid_request_error", param: null, code: null },
        });
      }
      for (const [name, value] of form.entries()) {
        if (typeof value === "string") {
          const existing = recorded.fields[name];
          recorded.fields[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
        } else recorded.file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
      }
      if (recorded.file === undefined)
        return sendJson(response, 400, {
          error: { message: "file is required", type: "invalid_request_error", param: "file", code: null },
        });
      const format = String(recorded.fields.response_format ?? "json");
      const text = fake.transcript;
      if (recorded.fields.stream === "true" && fake.streams) {
        // OpenAI's transcript stream: data-only SSE events, one write (and one tick) per event.
        response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
        const breakAfter = fake.breakStreamAfter;
        fake.breakStreamAfter = undefined;
        const deltas = text.match(/\S+\s*/g) ?? [];
        for (const [index, delta] of deltas.entries()) {
          if (index === breakAfter) {
            response.write(`data: ${JSON.stringify({ error: { message: "fake stream broke", type: "server_error" } })}\n\n`);
            return response.end();
          }
          response.write(
            `data: ${JSON.stringify({ type: "transcript.text.delta", delta, logprobs: [{ token: delta, logprob: -0.1, bytes: [] }] })}\n\n`,
          );
          await new Promise((resolve) => setImmediate(resolve));
        }
        const usage = { type: "tokens", input_tokens: 12, output_tokens: deltas.length, total_tokens: 12 + deltas.length };
        response.write(`data: ${JSON.stringify({ type: "transcript.text.done", text, usage })}\n\n`);
        return response.end();
      }
      if (format === "text") {
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
        return response.end(`${text}\n`);
      }
      if (format === "verbose_json") {
        const words = text.split(/\s+/).filter(Boolean);
        return sendJson(response, 200, {
          task: path.endsWith("translations") ? "translate" : "transcribe",
          language: "english",
          duration: 1.5,
          text,
          segments: [
            {
              id: 0,
              seek: 0,
              start: 0,
              end: 1.5,
              text: ` ${text}`,
              tokens: [1, 2],
              temperature: 0,
              avg_logprob: -0.2,
              compression_ratio: 1,
              no_speech_prob: 0.01,
            },
          ],
          words: words.map((word, index) => ({ word, start: index * 0.3, end: index * 0.3 + 0.25 })),
        });
      }
      return sendJson(response, 200, { text, usage: { type: "duration", seconds: 2 } });
    }
    if (path === "/v1/audio/speech") {
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      } catch {
        return sendJson(response, 400, { error: { message: "invalid JSON", type: "invalid_request_error", param: null, code: null } });
      }
      recorded.json = json;
      if (typeof json.input !== "string" || typeof json.voice !== "string")
        return sendJson(response, 400, {
          error: { message: "input and voice are required", type: "invalid_request_error", param: "input", code: null },
        });
      const format = String(json.response_format ?? "mp3");
      const types: Record<string, string> = {
        mp3: "audio/mpeg",
        opus: "audio/opus",
        aac: "audio/aac",
        flac: "audio/flac",
        wav: "audio/wav",
        pcm: "audio/pcm",
      };
      let audio: Buffer;
      if (format === "pcm") audio = speechPcm;
      else if (format === "wav") audio = Buffer.concat([wavHeader(24_000), speechPcm]);
      else audio = encodedSpeech(format);
      // Chunked, one write per piece, as a server that encodes while it speaks.
      response.writeHead(200, { "content-type": types[format] ?? "application/octet-stream", "transfer-encoding": "chunked" });
      for (let offset = 0; offset < audio.length; offset += chunkBytes) {
        response.write(audio.subarray(offset, offset + chunkBytes));
        await new Promise((resolve) => setImmediate(resolve));
      }
      return response.end();
    }
    sendJson(response, 404, { error: { message: `no route ${path}`, type: "invalid_request_error", param: null, code: null } });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** Streamed WAV: sizes unknown (0xFFFFFFFF), as OpenAI's streamed wav. */
function wavHeader(sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(0xffffffff, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(0xffffffff, 40);
  return header;
}
