/**
 * Child process for bench/voice's realtime parts: a real Station (default settings, log at warn)
 * whose voice pipeline is all local: the random-weight tiny Moonshine and VITS on the
 * `local-speech` engine and a fast fake chat model in-process. Every engine call is timed here, at
 * the provider (what a model costs, apart from what Station does around it), and sent to the
 * parent on request. argv: <dataDir> <llmFirstTokenMs> <llmTokenMs>. IPC: "ready <port>" first;
 * then answers "timings" (the engine times since the last ask) and "memory" (RSS, CPU time so far).
 */
import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import type { ModelInfo, Provider, StreamPart } from "../../src/providers/spec/index.ts";
import { createLocalSpeechProvider, type LocalSpeechProviderConfig } from "../../src/providers/speech/create-local-speech-provider.ts";
import { createStation } from "../../src/station/create-station.ts";

const [dataDir = "", firstTokenArgument = "0", tokenArgument = "0"] = process.argv.slice(2);
const firstTokenMs = Number(firstTokenArgument);
const tokenMs = Number(tokenArgument);
const reply =
  "The weather in Paris is sunny and mild today, with a light breeze. Tomorrow looks much the same, so enjoy it while it lasts.";

interface EngineTimes {
  stt: number[];
  llmFirstToken: number[];
  ttsFirstChunk: number[];
}
let times: EngineTimes = { stt: [], llmFirstToken: [], ttsFirstChunk: [] };
const sleep = (ms: number) => new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/** A chat model as fast as the fixed delays say: `reply` word by word. */
const fastChat: Provider = {
  id: "fast",
  type: "bench",
  async listModels(): Promise<ModelInfo[]> {
    return [{ id: "fast/llm", providerId: "fast", name: "llm", capabilities: ["chat"], state: "available" }];
  },
  async health() {
    return { status: "ok" };
  },
  chatModel: (name) => ({
    id: `fast/${name}`,
    providerId: "fast",
    modelName: name,
    async generate() {
      throw new Error("streams only");
    },
    async *stream(request): AsyncGenerator<StreamPart> {
      const started = performance.now();
      await sleep(firstTokenMs);
      const words = reply.split(/(?<= )/);
      for (const [index, word] of words.entries()) {
        if (request.signal?.aborted) throw new DOMException("aborted", "AbortError");
        if (index === 0) times.llmFirstToken.push(performance.now() - started);
        else await sleep(tokenMs);
        yield { type: "text-delta", text: word };
      }
      const usage = { promptTokens: 20, completionTokens: words.length, totalTokens: 20 + words.length };
      yield { type: "finish", finishReason: "stop", usage };
    },
  }),
};

const document = {
  dataDir,
  server: { port: 0 },
  logLevel: "warn",
  providers: [{ id: "speech", type: "local-speech", threads: 1 }],
  defaults: { chatModel: "fast/llm", transcriptionModel: "speech/tiny-moonshine", speechModel: "speech/tiny-vits" },
  realtime: { maxSessions: 500, pingIntervalMs: 0 },
};
const speechConfig = parseConfig(document, "bench config");
const config = parseConfig({ ...document, providers: [] }, "bench config");
const local = createLocalSpeechProvider(speechConfig.providers?.[0] as LocalSpeechProviderConfig, {
  config: speechConfig,
  logger: createLogger("warn"),
});
/** The local speech engine with a stopwatch at its edge. */
const timedSpeech: Provider = {
  ...local,
  transcriptionModel(name) {
    const model = local.transcriptionModel?.(name);
    if (model === undefined) throw new Error("no transcription model");
    return {
      id: model.id,
      async transcribe(request) {
        const started = performance.now();
        const result = await model.transcribe(request);
        times.stt.push(performance.now() - started);
        return result;
      },
    };
  },
  speechModel(name) {
    const model = local.speechModel?.(name);
    if (model === undefined) throw new Error("no speech model");
    return {
      id: model.id,
      async speak(request) {
        const started = performance.now();
        const audio = await model.speak(request);
        times.ttsFirstChunk.push(performance.now() - started);
        return audio;
      },
    };
  },
};
const running = await startServer(await createStation(config, { providers: [timedSpeech, fastChat] }));
process.on("message", (message) => {
  if (message === "timings") {
    process.send?.({ type: "timings", times });
    times = { stt: [], llmFirstToken: [], ttsFirstChunk: [] };
  } else if (message === "memory") {
    const cpu = process.cpuUsage();
    process.send?.({ type: "memory", rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
});
process.send?.(`ready ${new URL(running.url).port}`);
process.on("SIGTERM", () => void running.stop().finally(() => process.exit(0)));
