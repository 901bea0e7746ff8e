import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { z } from "zod";
import { ConfigError } from "./config-error.ts";
import { interpolateEnvironment } from "./interpolate-environment.ts";
import { configSchema, defaultProviders, type StationConfig } from "./schema.ts";
import { validateSharedBackends } from "./validate-shared-backends.ts";

/** Command-line flags that override the file and the environment. */
export interface ConfigFlags {
  config?: string;
  host?: string;
  port?: number;
  dataDir?: string;
  insecure?: boolean;
  logLevel?: string;
}

export interface LoadedConfig {
  config: StationConfig;
  /** Absolute path of the file read, if any. */
  file: string | undefined;
}

/**
 * Loads the configuration: defaults ← file ← STATION_* environment ← flags, then validates
 * it with zod and freezes it. This is the only module that reads process.env for settings.
 */
export function loadConfig(flags: ConfigFlags = {}, environment: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = flags.config ?? environment.STATION_CONFIG;
  const source = file === undefined ? "configuration" : path.resolve(file);
  const document = file === undefined ? {} : readDocument(source, environment);
  applyOverrides(document, environment, flags, source);
  return { config: parseConfig(document, source), file: file === undefined ? undefined : source };
}

/** Validates a config document (already interpolated) and freezes it. Tests build configs with this. */
export function parseConfig(input: unknown, source = "configuration"): StationConfig {
  const document = { ...(input as Record<string, unknown>) };
  if (document.providers === undefined) document.providers = structuredClone(defaultProviders);
  const parsed = configSchema.safeParse(document);
  if (!parsed.success) throw new ConfigError(formatIssues(source, parsed.error));
  const config = parsed.data;
  config.dataDir = path.resolve(config.dataDir);
  validateSharedBackends(config, source);
  return deepFreeze(config);
}

type Document = Record<string, unknown> & { server?: Record<string, unknown>; providers?: unknown };

function readDocument(source: string, environment: NodeJS.ProcessEnv): Document {
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`${source}: cannot read the configuration file (${reason})`);
  }
  let raw: unknown;
  try {
    raw = source.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid ${source.endsWith(".json") ? "JSON" : "YAML"}: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${source}: the top level must be a mapping of keys (server, providers, ...)`);
  }
  return interpolateEnvironment(raw, environment, source) as Document;
}

function applyOverrides(document: Document, environment: NodeJS.ProcessEnv, flags: ConfigFlags, source: string): void {
  document.server ??= {};
  const server = document.server;
  if (typeof server !== "object" || server === null) return;
  const host = flags.host ?? environment.STATION_HOST;
  if (host !== undefined) server.host = host;
  const port = flags.port ?? parsePort(environment.STATION_PORT, source);
  if (port !== undefined) server.port = port;
  if (environment.STATION_API_KEYS !== undefined) {
    server.apiKeys = environment.STATION_API_KEYS.split(",")
      .map((key) => key.trim())
      .filter((key) => key.length > 0);
  }
  if (flags.insecure) server.insecure = true;
  const dataDir = flags.dataDir ?? environment.STATION_DATA_DIR;
  if (dataDir !== undefined) document.dataDir = dataDir;
  const logLevel = flags.logLevel ?? environment.STATION_LOG_LEVEL;
  if (logLevel !== undefined) document.logLevel = logLevel;
  applyLmStudioToken(document, environment);
  applySharedBackendEnvironment(document, environment);
  applyHuggingFaceEnvironment(document, environment);
}

/**
 * STATION_DATABASE_URL and STATION_REDIS_URL select the shared backends and win over the file;
 * STATION_WEBHOOK_SECRET is the webhook secret when the file sets none (so instances can be
 * configured from the environment alone).
 */
function applySharedBackendEnvironment(document: Document, environment: NodeJS.ProcessEnv): void {
  const { STATION_DATABASE_URL: databaseUrl, STATION_REDIS_URL: redisUrl, STATION_WEBHOOK_SECRET: secret } = environment;
  if (secret !== undefined && secret !== "") {
    document.webhooks ??= {};
    const webhooks = document.webhooks as Record<string, unknown>;
    if (typeof webhooks === "object" && webhooks !== null && webhooks.secret === undefined) webhooks.secret = secret;
  }
  if (databaseUrl !== undefined && databaseUrl !== "") {
    document.storage ??= {};
    const storage = document.storage;
    if (typeof storage === "object" && storage !== null) Object.assign(storage, { backend: "postgres", url: databaseUrl });
  }
  if (redisUrl !== undefined && redisUrl !== "") {
    document.queue ??= {};
    const queue = document.queue;
    if (typeof queue === "object" && queue !== null) Object.assign(queue, { backend: "bullmq", redisUrl });
  }
}

/** Hugging Face's own variables (HF_TOKEN, HF_ENDPOINT), as its CLI reads them; the file wins. */
function applyHuggingFaceEnvironment(document: Document, environment: NodeJS.ProcessEnv): void {
  const { HF_TOKEN: token, HF_ENDPOINT: endpoint } = environment;
  if ((token === undefined || token === "") && (endpoint === undefined || endpoint === "")) return;
  document.huggingFace ??= {};
  const huggingFace = document.huggingFace as Record<string, unknown>;
  if (typeof huggingFace !== "object" || huggingFace === null) return;
  if (token !== undefined && token !== "" && huggingFace.token === undefined) huggingFace.token = token;
  if (endpoint !== undefined && endpoint !== "" && huggingFace.endpoint === undefined) huggingFace.endpoint = endpoint;
}

/** LM Studio's own variable: the token for `lmstudio` providers whose config sets no apiKey. */
function applyLmStudioToken(document: Document, environment: NodeJS.ProcessEnv): void {
  const token = environment.LMSTUDIO_API_TOKEN;
  if (token === undefined || token === "" || !Array.isArray(document.providers)) return;
  for (const provider of document.providers as Record<string, unknown>[]) {
    if (provider !== null && typeof provider === "object" && provider.type === "lmstudio" && provider.apiKey === undefined) {
      provider.apiKey = token;
    }
  }
}

function parsePort(value: string | undefined, source: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${source}: STATION_PORT must be a port number 0-65535, got '${value}'`);
  }
  return port;
}

function formatIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const key = issue.path.length === 0 ? "(top level)" : issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      const where = issue.path.length === 0 ? "" : ` under '${key}'`;
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((name) => `'${name}'`).join(", ")}${where} (check the spelling; unknown keys are not allowed)`;
    }
    return `key '${key}': ${issue.message}`;
  });
  return `${source}: invalid configuration\n  - ${lines.join("\n  - ")}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** yaml (CommonJS) is required only for a YAML file: the default configuration has none. */
function parseYaml(text: string): unknown {
  const { parse } = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return parse(text);
}
