/**
 * Child process: the fake OpenAI-compatible upstream the benchmark measures against.
 * argv: <port> <chunkDelayMs>. Reports "ready <port>" over IPC when listening.
 */
import { startFakeOpenAiUpstream } from "../../test/support/fake-openai-upstream.ts";
import { reportCpuUsageOnRequest } from "./report-cpu-usage.ts";

const port = Number(process.argv[2] ?? 0);
const chunkDelayMs = Number(process.argv[3] ?? 0);
const upstream = await startFakeOpenAiUpstream({ models: ["bench-model"], record: false, port });
upstream.script({ text: "The quick brown fox jumps over the lazy dog.", chunkSize: 8, chunkDelayMs });
reportCpuUsageOnRequest();
process.send?.(`ready ${new URL(upstream.url).port}`);
