import { describe, expect, it } from "vitest";
import { createChatCore } from "../chat-core/create-chat-core.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import { Cancellation } from "../net/cancellation.ts";
import type { ChatRequest, StreamPart } from "../providers/spec/index.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { PreparedImage } from "../vision/prepared-image.ts";
import type { ErrorEvent, ServerEvent } from "./realtime-protocol.ts";
import { createRealtimeSession } from "./realtime-session.ts";

/** A session over stubs: a model that echoes how many images it got, an intake that waits for `release()`. */
function harness(options: { framesPerSecond?: number; frameBurst?: number } = {}) {
  let now = 0;
  const requests: ChatRequest[] = [];
  const gates: (() => void)[] = [];
  const events: ServerEvent[] = [];
  const image: PreparedImage = {
    part: { type: "image", data: new Uint8Array(4), mediaType: "image/jpeg" },
    contentHash: "h",
    width: 2,
    height: 2,
    sourceFormat: "png",
    byteLength: 4,
  };
  const model = {
    id: "m/x",
    providerId: "m",
    modelName: "x",
    async *stream(request: ChatRequest): AsyncGenerator<StreamPart> {
      requests.push(request);
      const last = request.messages.at(-1)?.content;
      yield { type: "text-delta", text: `images: ${typeof last === "string" ? 0 : (last?.length ?? 1) - 1}` };
      yield { type: "finish", finishReason: "stop" };
    },
  };
  const target = { id: "m/x", modelName: "x", provider: { id: "m", type: "stub", chatModel: () => model } };
  const registry = {
    list: () => [{ id: "m/x", providerId: "m", name: "x", capabilities: ["chat", "vision"], state: "available" }],
    lookup: (id: string) => ({ id, info: undefined, targets: [target] }),
    // One attempt, no retries: the resilience layer has its own tests.
    call: async (targets: unknown[], attempt: (target: unknown, remainingMs: number, call: Cancellation) => Promise<unknown>) => ({
      value: await attempt(targets[0], Number.POSITIVE_INFINITY, new Cancellation()),
      done() {},
      abandon() {},
    }),
  };
  const intake = {
    fromReference: () =>
      new Promise<PreparedImage>((resolve) => {
        gates.push(() => resolve(image));
      }),
  };
  const logger = { warn() {}, error() {} };
  const session = createRealtimeSession(
    {
      registry: registry as unknown as ModelRegistry,
      mcp: { catalog: () => [] } as unknown as McpRegistry,
      toolPreferences: {} as ToolPreferencesStore,
      intake: intake as unknown as ImageIntake,
      chatCore: createChatCore({
        registry: registry as unknown as ModelRegistry,
        intake: intake as unknown as ImageIntake,
        readImagesForBlindModel: async (parts) => parts,
      }),
      defaultChatModel: undefined,
      maxToolRounds: 4,
      limits: {
        maxMessageBytes: 1024,
        framesPerSecond: options.framesPerSecond ?? 1,
        frameBurst: options.frameBurst ?? 1,
        framesPerTurn: 1,
        historyTurns: 4,
        historyMaxChars: 10_000,
      },
      logger: logger as unknown as Logger,
      clock: () => now,
    },
    (event) => events.push(event),
  );
  const receive = (message: unknown) => session.receive(Buffer.from(JSON.stringify(message)), false);
  const settled = async () => {
    for (let turn = 0; turn < 50; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  /** Lets every waiting decode finish, including those that only start once earlier ones did. */
  const release = async () => {
    await settled();
    while (gates.length > 0) {
      while (gates.length > 0) gates.shift()?.();
      await settled();
    }
  };
  return { session, receive, events, requests, release, settled, advance: (ms: number) => (now += ms) };
}

const typesOf = (events: ServerEvent[]) => events.map((event) => event.type);

describe("createRealtimeSession", () => {
  it("judges frames by the injected clock: a dropped frame passes once a token has refilled", async () => {
    const h = harness({ framesPerSecond: 1, frameBurst: 1 });
    h.receive({ type: "image", event_id: "a", image: "AAAA" });
    h.receive({ type: "image", event_id: "b", image: "AAAA" });
    h.advance(999);
    h.receive({ type: "image", event_id: "c", image: "AAAA" });
    h.advance(1);
    h.receive({ type: "image", event_id: "d", image: "AAAA" });
    await h.release();
    const frames = h.events.filter((event) => event.type === "frame.accepted" || event.type === "frame.dropped");
    expect(frames.map((event) => [event.type, event.event_id])).toEqual([
      ["frame.accepted", "a"],
      ["frame.dropped", "b"],
      ["frame.dropped", "c"],
      ["frame.accepted", "d"],
    ]);
    expect(frames[1]).toMatchObject({ retry_after_ms: 1000 });
    expect(frames[2]).toMatchObject({ retry_after_ms: 1 });
  });

  it("lets a text sent right after a frame wait for that frame's decoding", async () => {
    const h = harness();
    h.receive({ type: "image", image: "AAAA" });
    h.receive({ type: "text", text: "what now?" });
    await h.settled();
    expect(h.requests).toHaveLength(0);
    await h.release();
    expect(typesOf(h.events)).toEqual(["session.created", "frame.accepted", "response.created", "text.delta", "response.done"]);
    expect(h.events.at(-1)).toMatchObject({ status: "completed", text: "images: 1" });
  });

  it("refuses messages beyond 64 waiting ones with `overloaded` instead of queueing without bound", async () => {
    const h = harness();
    h.receive({ type: "image", image: "AAAA" });
    for (let index = 0; index < 70; index++) h.receive({ type: "audio", event_id: `a${index}` });
    const overloaded = h.events.filter((event): event is ErrorEvent => event.type === "error" && event.code === "overloaded");
    expect(overloaded.map((event) => event.event_id)).toEqual(["a63", "a64", "a65", "a66", "a67", "a68", "a69"]);
    await h.release();
    h.receive({ type: "text", text: "still here" });
    await h.settled();
    expect(h.events.at(-1)).toMatchObject({ type: "response.done", status: "completed" });
  });

  it("starts no model call for a text still queued when the client disconnects", async () => {
    const h = harness();
    h.receive({ type: "image", image: "AAAA" });
    h.receive({ type: "text", text: "anyone there?" });
    h.receive({ type: "session.update", session: { instructions: "too late" } });
    h.session.close();
    await h.release();
    expect(h.requests).toHaveLength(0);
    expect(typesOf(h.events)).toEqual(["session.created"]);
  });

  it("sends nothing after close and aborts nothing twice", async () => {
    const h = harness();
    h.session.close();
    h.session.close();
    h.receive({ type: "text", text: "anyone?" });
    await h.settled();
    expect(typesOf(h.events)).toEqual(["session.created"]);
  });
});
