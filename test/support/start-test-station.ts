import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "../../src/config/load-config.ts";
import { type RunningServer, startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import type { McpServerDefinition } from "../../src/mcp/mcp-types.ts";
import type { Provider } from "../../src/providers/spec/index.ts";
import { configuredSecrets } from "../../src/security/configured-secrets.ts";
import { createSecretRedactor } from "../../src/security/secret-redactor.ts";
import { createStation } from "../../src/station/create-station.ts";

export interface TestStation extends RunningServer {
  dataDir: string;
  /** Stops the server and deletes the data dir (unless keepDataDir). */
  close(options?: { keepDataDir?: boolean }): Promise<void>;
}

export interface TestStationOptions {
  /** Config document; `dataDir` and `server.port` default to a temp dir and port 0. `providers` defaults to []. */
  config?: Record<string, unknown>;
  providers?: Provider[];
  /** MCP servers defined in code (e.g. the SDK's in-memory transport), added after the configured ones. */
  mcpServers?: McpServerDefinition[];
  dataDir?: string;
  /** Where the server's log lines go, at this level (default: TEST_LOG_LEVEL or silent, to stdout). */
  log?: { level: string; destination: NodeJS.WritableStream };
}

/** Starts a real Station on a random loopback port with a temp data dir. */
export async function startTestStation(options: TestStationOptions = {}): Promise<TestStation> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), "station-test-"));
  const document = options.config ?? {};
  const config = parseConfig(
    {
      providers: [],
      ...document,
      dataDir,
      server: { port: 0, ...((document.server as Record<string, unknown>) ?? {}) },
      logLevel: options.log?.level ?? process.env.TEST_LOG_LEVEL ?? "silent",
    },
    "test config",
  );
  const redactor = createSecretRedactor(configuredSecrets(config));
  const logger = createLogger(config.logLevel, options.log?.destination, redactor);
  const station = await createStation(config, {
    logger,
    redactor,
    providers: options.providers ?? [],
    mcpServers: options.mcpServers ?? [],
  });
  const running = await startServer(station);
  return {
    ...running,
    dataDir,
    async close(closeOptions = {}) {
      await running.stop();
      if (!closeOptions.keepDataDir && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
