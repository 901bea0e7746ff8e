import type { ChildProcess } from "node:child_process";
import { BenchRealtimeClient, chunkBytes } from "./realtime-client.ts";

export interface EngineTimes {
  stt: number[];
  llmFirstToken: number[];
  ttsFirstChunk: number[];
}

export interface TurnLatency {
  /** End of speech (the append holding its last sample went out) → first output_audio.delta arrived. */
  total: number;
  /** End of speech → speech_stopped (the silence window is part of it). */
  vad: number;
  /** speech_stopped → input_audio_transcription.completed. */
  stt: number;
  /** transcription completed → the reply's first transcript delta. */
  llm: number;
  /** first transcript delta → first audio delta. */
  tts: number;
  engine: { stt: number; llmFirstToken: number; ttsFirstChunk: number };
}

export function askChild<T>(child: ChildProcess, request: string, type: string): Promise<T> {
  return new Promise((resolve) => {
    const listen = (message: unknown) => {
      if (typeof message === "object" && message !== null && (message as { type?: string }).type === type) {
        child.off("message", listen);
        resolve(message as T);
      }
    };
    child.on("message", listen);
    child.send(request);
  });
}

/**
 * Spoken turns on one session, one after another, audio paced like a microphone: speech, then
 * silence until the reply is done. Each turn's end of speech → first audio byte, cut at the events
 * that mark each stage, with the engines' own times from the child.
 */
export async function measureRealtimeLatency(url: string, child: ChildProcess, speech: Buffer, turns: number): Promise<TurnLatency[]> {
  const padded = Buffer.concat([speech, Buffer.alloc((chunkBytes - (speech.length % chunkBytes)) % chunkBytes)]);
  const lastSpeechChunk = padded.length / chunkBytes - 1;
  const silence = Buffer.alloc(chunkBytes * 50 * 3);
  const client = await BenchRealtimeClient.connect(url);
  const results: TurnLatency[] = [];
  try {
    for (let turn = 0; turn < turns; turn++) {
      client.forget();
      await askChild(child, "timings", "timings");
      const sending = client.streamPaced(Buffer.concat([padded, silence]));
      // The chunk after the speech goes out 20 ms after the last one: by then the last is surely stamped.
      let endOfSpeech = Number.POSITIVE_INFINITY;
      const sentAt = sending.then((times) => times);
      const stopped = await client.next("input_audio_buffer.speech_stopped", 0);
      const done = await client.next("response.done", 0);
      const sent = await sentAt;
      endOfSpeech = sent[lastSpeechChunk] ?? endOfSpeech;
      if ((done.event.response as { status?: string }).status !== "completed")
        throw new Error(`turn ${turn}: response ${JSON.stringify(done.event.response)}`);
      const transcribed = await client.next("conversation.item.input_audio_transcription.completed", 0);
      const firstText = await client.next("response.output_audio_transcript.delta", 0);
      const firstAudio = await client.next("response.output_audio.delta", 0);
      const { times } = await askChild<{ times: EngineTimes }>(child, "timings", "timings");
      results.push({
        total: firstAudio.at - endOfSpeech,
        vad: stopped.at - endOfSpeech,
        stt: transcribed.at - stopped.at,
        llm: firstText.at - transcribed.at,
        tts: firstAudio.at - firstText.at,
        engine: { stt: times.stt[0] ?? 0, llmFirstToken: times.llmFirstToken[0] ?? 0, ttsFirstChunk: times.ttsFirstChunk[0] ?? 0 },
      });
    }
  } finally {
    await client.close();
  }
  return results;
}
