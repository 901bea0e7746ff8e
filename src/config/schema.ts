import { z } from "zod";

const retrySchema = z.strictObject({
  attempts: z.number().int().min(1).max(20).default(3),
  baseDelayMs: z.number().int().min(0).default(200),
  maxDelayMs: z.number().int().min(0).default(5000),
  /**
   * The longest one request may take across all its attempts, backoff and fallback targets
   * (the first target's provider decides); past it: 504. Without it a hung upstream held a
   * client for attempts × timeoutMs.
   */
  deadlineMs: z.number().int().positive().default(120_000),
});

/** The circuit breaker per target: judged on requests (after their retries) over a sliding window. */
const cooldownSchema = z.strictObject({
  /** Share of failed requests in the window at or above which the target is skipped. */
  failureRate: z.number().gt(0).max(1).default(0.5),
  /** Requests the window must hold before its failure rate counts. */
  minimumCalls: z.number().int().min(1).default(5),
  windowMs: z.number().int().min(1000).default(60_000),
  /** How long an open breaker skips the target before one probe goes through. */
  cooldownMs: z.number().int().min(0).default(5000),
  failures: z
    .never({ error: "'cooldown.failures' was replaced: the breaker now opens on 'failureRate' over 'minimumCalls' requests in 'windowMs'" })
    .optional(),
});

const providerBase = {
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-'"),
  timeoutMs: z.number().int().positive().default(60_000),
  connectTimeoutMs: z.number().int().positive().default(5_000),
  /** Longest silence allowed between two streamed chunks. */
  idleTimeoutMs: z.number().int().positive().default(30_000),
  retry: retrySchema.prefault({}),
  cooldown: cooldownSchema.prefault({}),
  /** Model-list refresh interval; 0 disables periodic refresh. */
  refreshIntervalMs: z.number().int().min(0).default(60_000),
  /** Models to list even if discovery fails or the provider cannot list (name → capabilities). */
  models: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        capabilities: z
          .array(z.enum(["chat", "vision", "tools", "embeddings", "ocr", "detect", "point", "images", "transcribe", "translate", "speak"]))
          .optional(),
        contextLength: z.number().int().positive().optional(),
      }),
    )
    .optional(),
};

const remoteBase = {
  ...providerBase,
  baseUrl: z.url({ error: "an http(s) URL" }),
  apiKey: z.string().optional(),
  /** Extra headers sent on every call (e.g. OpenRouter's HTTP-Referer, X-Title). */
  headers: z.record(z.string(), z.string()).optional(),
};

export const providerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    ...remoteBase,
    type: z.literal("openai"),
    /** How image options beyond OpenAI's (steps, scheduler, seed, ...) reach /images/generations. */
    imageParameters: z.enum(["openai", "diffusers", "sd-cpp"]).default("openai"),
    /** The server has OpenAI's Responses API (POST /responses): /v1/responses relays to it natively. Most compatible servers lack it. */
    responses: z.boolean().default(false),
  }),
  z.strictObject({ ...remoteBase, type: z.literal("openrouter") }),
  z.strictObject({ ...remoteBase, type: z.literal("lmstudio") }),
  z.strictObject({ ...remoteBase, type: z.literal("ollama") }),
  z.strictObject({
    ...remoteBase,
    type: z.literal("anthropic"),
    baseUrl: remoteBase.baseUrl.default("https://api.anthropic.com"),
    /** The `anthropic-version` header every call carries. */
    anthropicVersion: z.string().min(1).default("2023-06-01"),
    /** Messages requires max_tokens: sent when the client names none. */
    defaultMaxTokens: z.number().int().positive().default(4096),
  }),
  z.strictObject({ ...remoteBase, type: z.literal("moondream"), baseUrl: remoteBase.baseUrl.default("https://api.moondream.ai/v1") }),
  z.strictObject({
    ...providerBase,
    type: z.literal("llamacpp"),
    /** Directory scanned for *.gguf; the data dir's models/ is always scanned too. */
    modelsDir: z.string().optional(),
    /** CPU threads per model; 0 = let Station choose for the core count. */
    threads: z.number().int().min(0).default(0),
    contextSize: z.number().int().positive().default(4096),
    /** Sequences that can generate at once on one loaded model. */
    parallelSequences: z.number().int().min(1).default(2),
    /** Requests allowed to wait for a free sequence; beyond it: 503 + Retry-After. */
    maxQueue: z.number().int().min(0).default(16),
    /** Default keep-alive after last use, ms; -1 = forever. */
    keepAliveMs: z.number().int().min(-1).default(300_000),
    /** Budget for loaded weights in bytes; 0 = no budget. LRU idle models are evicted beyond it. */
    memoryBudgetBytes: z.number().int().min(0).default(0),
    gpuLayers: z.union([z.literal("auto"), z.number().int().min(0)]).default("auto"),
  }),
  z.strictObject({ ...providerBase, type: z.literal("ocr") }),
  z.strictObject({
    ...providerBase,
    type: z.literal("local-vision"),
    /** Directory scanned for Hugging Face ONNX repositories; the data dir's models/ is always scanned too. */
    modelsDir: z.string().optional(),
    /** ONNX Runtime threads per request (per worker); 0 = let Station choose for the core count, shared among the workers. */
    threads: z.number().int().min(0).default(0),
    /** Requests running at once on one loaded model: that many worker threads, each with its own copy of the model. */
    parallelRequests: z.number().int().min(1).default(1),
    /** Requests allowed to wait for a model; beyond it: 503 + Retry-After. */
    maxQueue: z.number().int().min(0).default(16),
    keepAliveMs: z.number().int().min(-1).default(300_000),
    memoryBudgetBytes: z.number().int().min(0).default(0),
    /** Longest answer in tokens. */
    maxNewTokens: z.number().int().min(1).max(4096).default(256),
    /** Encoded images kept per model (vision-encoder output by image hash); 0 disables. */
    encodeCacheEntries: z.number().int().min(0).default(16),
  }),
  z.strictObject({
    ...providerBase,
    type: z.literal("local-speech"),
    /** Directory scanned for Hugging Face ONNX speech repositories (Moonshine); the data dir's models/ is always scanned too. */
    modelsDir: z.string().optional(),
    /** ONNX Runtime threads per model; 0 = let Station choose for the core count. */
    threads: z.number().int().min(0).default(0),
    keepAliveMs: z.number().int().min(-1).default(300_000),
    memoryBudgetBytes: z.number().int().min(0).default(0),
  }),
]);

const routeTargetSchema = z.union([
  z.string().min(1),
  z.strictObject({ model: z.string().min(1), weight: z.number().positive().default(1) }),
]);

const routeSchema = z.strictObject({
  model: z.string().min(1),
  strategy: z.enum(["fallback", "loadbalance", "least-busy"]).default("fallback"),
  targets: z.array(routeTargetSchema).min(1),
});

const mcpServerSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '_', '-'"),
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().optional(),
    url: z.url().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    enabled: z.boolean().default(true),
  })
  .refine((server) => (server.command === undefined) !== (server.url === undefined), {
    message: "exactly one of 'command' (stdio) or 'url' (HTTP) is required",
  });

/**
 * A connection URL of the given schemes. The message never repeats the value: it may hold a password.
 */
function serviceUrl(service: string, protocols: string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { error: `a ${service} URL (${protocols.map((protocol) => `${protocol}//`).join(" or ")}user@host:port/...)` },
  );
}

const storageSchema = z
  .strictObject({
    backend: z.enum(["sqlite", "postgres"]).default("sqlite"),
    url: serviceUrl("PostgreSQL", ["postgres:", "postgresql:"]).optional(),
    /** Connections per instance. */
    poolSize: z.number().int().min(1).max(1000).default(10),
  })
  .prefault({});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(2020),
      apiKeys: z.array(z.string().min(1)).default([]),
      /** Largest accepted request body. */
      bodyLimitBytes: z
        .number()
        .int()
        .positive()
        .default(25 * 1024 * 1024),
      /** Allow a non-loopback bind without API keys. */
      insecure: z.boolean().default(false),
      /** How long shutdown waits for in-flight requests. */
      shutdownTimeoutMs: z.number().int().positive().default(10_000),
      /** A request's headers must arrive within this (slowloris); then 408 and the connection closes. */
      headersTimeoutMs: z.number().int().positive().default(15_000),
      /** A whole request, body included, must arrive within this; then 408 and the connection closes. */
      requestTimeoutMs: z.number().int().positive().default(120_000),
      /** Open connections at once (streams and WebSockets included); more are closed on arrival. */
      maxConnections: z.number().int().positive().default(1000),
      /** PEM files: HTTPS and WSS on the same port (`station cert` writes a self-signed pair). */
      tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
      /** Also serve the Ollama API (and its GET / "Ollama is running") on this port, e.g. 11434; off when unset. */
      ollamaPort: z.number().int().min(0).max(65535).optional(),
      /** Browser origins the Ollama API accepts cross-origin (Ollama's OLLAMA_ORIGINS; the default is Ollama's own list). */
      ollamaOrigins: z
        .array(z.string().min(1))
        .default([
          ...["localhost", "127.0.0.1", "0.0.0.0"].flatMap((host) => [
            `http://${host}`,
            `https://${host}`,
            `http://${host}:*`,
            `https://${host}:*`,
          ]),
          "app://*",
          "file://*",
          "tauri://*",
          "vscode-webview://*",
          "vscode-file://*",
        ]),
      /** Host names served besides loopback ones on a loopback bind (`.example.com`: a domain; `*`: any). */
      allowedHosts: z.array(z.string().min(1)).optional(),
      /** Web origins whose pages may call Station cross-origin (`https://app.example`, `http://localhost:*`, `*`). */
      cors: z.strictObject({ origins: z.array(z.string().min(1)).default([]) }).prefault({}),
    })
    .refine((server) => server.headersTimeoutMs <= server.requestTimeoutMs, {
      message: "headersTimeoutMs must not be longer than requestTimeoutMs",
      path: ["headersTimeoutMs"],
    })
    .prefault({}),
  dataDir: z.string().min(1).default("./.station"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  providers: z.array(providerSchema).optional(),
  routes: z.array(routeSchema).default([]),
  /** Where `station pull hf:...` downloads from; the token (or HF_TOKEN) opens gated repositories. */
  huggingFace: z
    .strictObject({
      endpoint: z.url({ error: "an http(s) URL" }).default("https://huggingface.co"),
      token: z.string().min(1).optional(),
    })
    .prefault({}),
  defaults: z
    .strictObject({
      /** Model used when a chat request names none. */
      chatModel: z.string().optional(),
      /** Model used by the vision APIs when a request names none. */
      visionModel: z.string().optional(),
      embeddingModel: z.string().optional(),
      /** Speech to text when a request names no model (POST /v1/audio/transcriptions, realtime). */
      transcriptionModel: z.string().optional(),
      /** Text to speech when a request names no model (POST /v1/audio/speech, realtime). */
      speechModel: z.string().optional(),
    })
    .prefault({}),
  mcp: z
    .strictObject({
      servers: z.array(mcpServerSchema).default([]),
      /** Hosts and ports `POST /api/mcp/servers/discover` probes. */
      discover: z
        .strictObject({
          hosts: z.array(z.string()).default(["127.0.0.1"]),
          ports: z.array(z.number().int().min(1).max(65535)).default([]),
          paths: z.array(z.string()).default(["/mcp", "/sse"]),
        })
        .prefault({}),
      toolTimeoutMs: z.number().int().positive().default(30_000),
      /** One connection attempt (spawn or HTTP handshake, initialize, tools/list). */
      connectTimeoutMs: z.number().int().positive().default(30_000),
      maxResultBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024),
    })
    .prefault({}),
  chat: z
    .strictObject({
      maxToolRounds: z.number().int().min(1).default(8),
    })
    .prefault({}),
  /** GET /v1/realtime: the WebSocket agent sessions. */
  realtime: z
    .strictObject({
      /** Largest client message; larger ones get an `error` event. Default: server.bodyLimitBytes. */
      maxMessageBytes: z.number().int().positive().optional(),
      /** Video frames accepted per second and session (token bucket refill); the rest are dropped. */
      framesPerSecond: z.number().positive().default(2),
      /** Frames accepted back to back after a pause (the bucket's size). */
      frameBurst: z.number().int().min(1).default(2),
      /** Latest frames a session holds and attaches to its next turn; older ones are replaced. */
      framesPerTurn: z.number().int().min(1).max(8).default(1),
      /** Turns of history a session keeps in memory, and their total text size. */
      historyTurns: z.number().int().min(0).default(20),
      historyMaxChars: z.number().int().min(0).default(1_000_000),
      /** Open sessions at once; further upgrades get 503. */
      maxSessions: z.number().int().min(1).default(100),
      /** WebSocket ping interval; a client that misses a pong is disconnected. 0 disables. */
      pingIntervalMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
  uploads: z
    .strictObject({
      /** Largest file POST /api/uploads accepts. */
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(20 * 1024 * 1024),
    })
    .prefault({}),
  /** Where state lives: the embedded SQLite file, or one PostgreSQL database shared by every instance. */
  storage: storageSchema,
  queue: z
    .strictObject({
      /** sqlite: the embedded queue in the SQLite database; bullmq: Redis, shared by every instance. */
      backend: z.enum(["sqlite", "bullmq"]).default("sqlite"),
      redisUrl: serviceUrl("redis", ["redis:", "rediss:"]).optional(),
      /** Key prefix in Redis: instances with the same prefix share one queue. */
      prefix: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-'")
        .default("station"),
      capacity: z.number().int().min(1).default(50),
      concurrency: z.number().int().min(1).default(2),
      jobTimeoutMs: z.number().int().positive().default(120_000),
      maxAttempts: z.number().int().min(1).default(3),
      leaseMs: z.number().int().positive().default(30_000),
      /** First retry delay for retryable provider errors; doubles per attempt. */
      retryBaseDelayMs: z.number().int().min(0).default(1000),
      /** Finished jobs are deleted after this long. */
      retentionMs: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * 3600 * 1000),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      secret: z.string().optional(),
      attempts: z.number().int().min(1).default(5),
      timeoutMs: z.number().int().positive().default(10_000),
      baseDelayMs: z.number().int().min(0).default(1000),
      /** Deliveries in flight at once. */
      concurrency: z.number().int().min(1).default(4),
    })
    .prefault({}),
  vision: z
    .strictObject({
      maxImageBytes: z
        .number()
        .int()
        .positive()
        .default(20 * 1024 * 1024),
      /** Decompression-bomb guard. */
      maxPixels: z.number().int().positive().default(50_000_000),
      fetchTimeoutMs: z.number().int().positive().default(10_000),
      /** Prepared images kept by content hash so repeated questions skip the decode; 0 disables. */
      cacheEntries: z.number().int().min(0).default(64),
    })
    .prefault({}),
  /** In-process engines (GGUF, local vision, speech) share one memory budget and LRU eviction. */
  residency: z
    .strictObject({
      /** Bytes of loaded weights across all local engines; 0 = no shared budget (providers may set their own). */
      memoryBudgetBytes: z.number().int().min(0).default(0),
    })
    .prefault({}),
  /** The audio endpoints and realtime speech. */
  audio: z
    .strictObject({
      /** Largest audio file accepted (OpenAI's own limit is 25 MB). */
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(25 * 1024 * 1024),
      /** Longest audio accepted, seconds. */
      maxDurationSeconds: z.number().positive().default(1800),
      /** Longest text POST /v1/audio/speech speaks (OpenAI: 4096 characters). */
      maxSpeechChars: z.number().int().positive().default(4096),
      /** ffmpeg decodes and encodes what is not WAV/PCM (mp3, ogg/opus, flac, webm, m4a); absent binary: those are refused. */
      ffmpegPath: z.string().min(1).default("ffmpeg"),
      /** Longest an ffmpeg decode or encode may run. */
      ffmpegTimeoutMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  security: z
    .strictObject({
      allowPrivateNetworks: z.boolean().default(false),
    })
    .prefault({}),
  /** USD per million tokens, keyed by model id ("<provider>/<model>"), for generation cost. */
  pricing: z.record(z.string(), z.strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })).default({}),
});

export type StationConfig = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type McpServerConfig = z.infer<typeof mcpServerSchema>;

/** Providers used when the config names none: every GGUF in the data dir, plus OCR. */
export const defaultProviders: unknown[] = [
  { id: "local", type: "llamacpp" },
  { id: "ocr", type: "ocr" },
  { id: "vision", type: "local-vision" },
  { id: "speech", type: "local-speech" },
];
