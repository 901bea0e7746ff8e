import type { ChildProcess } from "node:child_process";
import { BenchRealtimeClient, chunkBytes } from "./realtime-client.ts";
import { askChild } from "./realtime-latency.ts";

export interface LoadResult {
  sessions: number;
  /** Round trip of a probe event through each session's event queue, behind its audio (ms). */
  probe: number[];
  /** End of speech → speech_stopped, less the silence window (ms). */
  endOfTurn: number[];
  /** End of speech → first audio byte of the reply (ms). */
  firstAudio: number[];
  turnsAnswered: number;
  turnsExpected: number;
  rssBaseline: number;
  rssPeak: number;
  /** Station's CPU time over the run, and the seconds of audio all sessions streamed in it. */
  stationCpuMs: number;
  audioSeconds: number;
}

/**
 * `sessions` realtime sessions at once, each streaming microphone-paced audio (speech, then
 * silence) for `turns` turns with server VAD and spoken replies, and a probe event every 250 ms
 * (conversation.item.delete of an unknown item: answered with an error through the session's
 * queue, behind the audio appended before it). The child's RSS is sampled throughout.
 */
export async function measureRealtimeLoad(
  url: string,
  child: ChildProcess,
  speech: Buffer,
  sessions: number,
  turns: number,
  silenceWindowMs: number,
): Promise<LoadResult> {
  const padded = Buffer.concat([speech, Buffer.alloc((chunkBytes - (speech.length % chunkBytes)) % chunkBytes)]);
  const turnAudio = Buffer.concat([padded, Buffer.alloc(chunkBytes * 50 * 2)]);
  const speechChunks = padded.length / chunkBytes;
  const baseline = await askChild<{ rss: number; cpuMs: number }>(child, "memory", "memory");
  const rssBaseline = baseline.rss;
  let rssPeak = rssBaseline;
  const sampler = setInterval(() => {
    void askChild<{ rss: number }>(child, "memory", "memory").then(({ rss }) => {
      rssPeak = Math.max(rssPeak, rss);
    });
  }, 500);
  const clients = await Promise.all(Array.from({ length: sessions }, () => BenchRealtimeClient.connect(url)));
  const result: LoadResult = {
    sessions,
    probe: [],
    endOfTurn: [],
    firstAudio: [],
    turnsAnswered: 0,
    turnsExpected: sessions * turns,
    rssBaseline,
    rssPeak,
    stationCpuMs: 0,
    audioSeconds: (sessions * turns * turnAudio.length) / 2 / 24_000,
  };
  try {
    await Promise.all(
      clients.map(async (client, index) => {
        let probes = 0;
        const probeSent = new Map<string, number>();
        client.onEvent = (event, at) => {
          const eventId = (event.error as { event_id?: string } | undefined)?.event_id;
          const sent = eventId === undefined ? undefined : probeSent.get(eventId);
          if (sent !== undefined) {
            result.probe.push(at - sent);
            probeSent.delete(eventId as string);
          }
        };
        const prober = setInterval(() => {
          const eventId = `probe_${index}_${probes++}`;
          probeSent.set(eventId, performance.now());
          client.send({ type: "conversation.item.delete", event_id: eventId, item_id: "no_such_item" });
        }, 250);
        // Staggered like real users: not every session ends its turn in the same frame.
        await new Promise((resolve) => setTimeout(resolve, (index / sessions) * 1000));
        try {
          for (let turn = 0; turn < turns; turn++) {
            const since = performance.now();
            const sentAt = await client.streamPaced(turnAudio);
            const endOfSpeech = sentAt[speechChunks - 1] ?? since;
            const stopped = await client.next("input_audio_buffer.speech_stopped", since, 60_000);
            result.endOfTurn.push(stopped.at - endOfSpeech - silenceWindowMs);
            const done = await client.next("response.done", since, 60_000);
            if ((done.event.response as { status?: string }).status === "completed") result.turnsAnswered++;
            const firstAudio = await client.next("response.output_audio.delta", since, 1);
            result.firstAudio.push(firstAudio.at - endOfSpeech);
            client.forget();
          }
        } finally {
          clearInterval(prober);
        }
      }),
    );
  } finally {
    clearInterval(sampler);
    const end = await askChild<{ rss: number; cpuMs: number }>(child, "memory", "memory");
    result.rssPeak = Math.max(rssPeak, end.rss);
    result.stationCpuMs = end.cpuMs - baseline.cpuMs;
    await Promise.all(clients.map((client) => client.close()));
  }
  return result;
}
