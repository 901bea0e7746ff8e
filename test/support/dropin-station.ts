import { afterAll, beforeAll, beforeEach } from "vitest";
import { type FakeOpenAiUpstream, type RecordedRequest, startFakeOpenAiUpstream } from "./fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./start-test-station.ts";

export interface DropinStationOptions {
  /** Models the fake OpenAI-compatible upstream lists (Station serves them as `fake/<name>`). */
  models: string[];
  /** More of Station's config (merged over the one provider, `fake`, with one attempt per call). */
  config?: Record<string, unknown>;
}

export interface DropinStation {
  readonly upstream: FakeOpenAiUpstream;
  readonly station: TestStation;
  /** The last /v1/chat/completions request the upstream received. */
  lastChatRequest(): RecordedRequest | undefined;
}

/** The last /v1/chat/completions request an upstream received. */
export function lastChatRequest(upstream: FakeOpenAiUpstream): RecordedRequest | undefined {
  return upstream.requests.filter((request) => request.path === "/v1/chat/completions").at(-1);
}

/**
 * A drop-in surface's test set-up: a fake OpenAI-compatible upstream and a Station in front of it,
 * started before the file's tests and closed after them, the upstream's script reset before each.
 * Call it inside `describe`; read `upstream` and `station` in hooks and tests, not at collection.
 */
export function useDropinStation(options: DropinStationOptions): DropinStation {
  let upstream: FakeOpenAiUpstream | undefined;
  let station: TestStation | undefined;
  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: options.models });
    station = await startTestStation({
      config: { providers: [{ id: "fake", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } }], ...options.config },
    });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream?.script({}));
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useDropinStation: read upstream and station inside hooks and tests");
    return value;
  };
  return {
    get upstream() {
      return started(upstream);
    },
    get station() {
      return started(station);
    },
    lastChatRequest: () => lastChatRequest(started(upstream)),
  };
}
