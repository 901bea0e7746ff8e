import WebSocket from "ws";

type ServerEvent = { type: string; [key: string]: unknown };

/** 20 ms of 24 kHz PCM16: what a microphone sends per append. */
export const chunkBytes = 960;
export const chunkMs = 20;

/**
 * One OpenAI-dialect realtime session for the benchmark: every server event is stamped with
 * performance.now() on arrival; audio is sent paced like a microphone (a 20 ms chunk once its
 * 20 ms have passed).
 */
export class BenchRealtimeClient {
  readonly arrivals: { type: string; at: number; event: ServerEvent }[] = [];
  /** Called for every event as it arrives. */
  onEvent: ((event: ServerEvent, at: number) => void) | undefined;
  private waiters: (() => void)[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const at = performance.now();
      const event = JSON.parse(data.toString()) as ServerEvent;
      // Audio deltas are kept without their audio: 50 sessions of it would be the benchmark's own memory.
      if (event.type === "response.output_audio.delta") event.delta = "";
      this.arrivals.push({ type: event.type, at, event });
      this.onEvent?.(event, at);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(baseUrl: string): Promise<BenchRealtimeClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/realtime?model=fast/llm`, ["realtime"]);
    // Listening before "open": session.created may come in the same packet as the handshake's answer.
    const client = new BenchRealtimeClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    await client.next("session.created", 0);
    return client;
  }

  send(event: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(event));
  }

  /** The first event of `type` that arrived at or after `since` (performance.now()). */
  async next(type: string, since: number, timeoutMs = 30_000): Promise<{ at: number; event: ServerEvent }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.arrivals.find((arrival) => arrival.at >= since && arrival.type === type);
      if (found !== undefined) return found;
      if (performance.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /**
   * Sends `pcm` in 20 ms appends, each once its audio has been "recorded" (startAt + its end);
   * returns when each chunk went out.
   */
  async streamPaced(pcm: Buffer, startAt = performance.now()): Promise<number[]> {
    const sentAt: number[] = [];
    for (let index = 0; index * chunkBytes < pcm.length; index++) {
      const due = startAt + (index + 1) * chunkMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      this.send({
        type: "input_audio_buffer.append",
        audio: pcm.subarray(index * chunkBytes, (index + 1) * chunkBytes).toString("base64"),
      });
      sentAt.push(performance.now());
    }
    return sentAt;
  }

  forget(): void {
    this.arrivals.length = 0;
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}

/** espeak-ng speech without the near-silence espeak puts before and after it (so its end is the speech's end). */
export function trimSilence(pcm: Buffer, threshold = 300): Buffer {
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, Math.floor(pcm.byteLength / 2));
  let first = 0;
  while (first < samples.length && Math.abs(samples[first] ?? 0) < threshold) first++;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last] ?? 0) < threshold) last--;
  return Buffer.from(pcm.subarray(first * 2, (last + 1) * 2));
}
