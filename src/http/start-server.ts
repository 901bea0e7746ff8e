import type { FastifyInstance } from "fastify";
import { ConfigError } from "../config/config-error.ts";
import type { Station } from "../station/station.ts";
import { createApp } from "./app.ts";
import { isLoopbackHost } from "./is-loopback-host.ts";
import { turnOffPretenuring } from "./turn-off-pretenuring.ts";

export interface RunningServer {
  app: FastifyInstance;
  station: Station;
  /** The URL the server listens on, e.g. http://127.0.0.1:2020 (https:// with server.tls) */
  url: string;
  /** Where the Ollama API is served too when server.ollamaPort is set. */
  ollamaUrl?: string;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes everything. */
  stop(): Promise<void>;
}

/** Opens the port for a Station. Refuses a non-loopback bind without API keys (SPEC §9). */
export async function startServer(station: Station): Promise<RunningServer> {
  const { server } = station.config;
  if (!isLoopbackHost(server.host) && server.apiKeys.length === 0 && !server.insecure) {
    throw new ConfigError(
      `refusing to listen on ${server.host} without an API key: anyone on the network could use this server. ` +
        "Set server.apiKeys (or STATION_API_KEYS), bind to 127.0.0.1, or pass --insecure if you really mean it.",
    );
  }
  turnOffPretenuring();
  const app = await createApp(station);
  await app.listen({ host: server.host, port: server.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : server.port;
  const host = server.host.includes(":") ? `[${server.host}]` : server.host;
  const scheme = server.tls === undefined ? "http" : "https";
  const ollamaApp = server.ollamaPort === undefined ? undefined : await createApp(station, { only: "ollama" });
  if (ollamaApp !== undefined) {
    await ollamaApp.listen({ host: server.host, port: server.ollamaPort }).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  }
  const ollamaAddress = ollamaApp?.server.address();
  const ollamaPort = typeof ollamaAddress === "object" && ollamaAddress !== null ? ollamaAddress.port : undefined;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const timer = setTimeout(() => {
        station.logger.warn("shutdown timeout reached: closing remaining connections");
        app.server.closeAllConnections();
        ollamaApp?.server.closeAllConnections();
      }, server.shutdownTimeoutMs);
      timer.unref();
      // Fastify stops accepting, answers new requests on open sockets with 503, waits for in-flight ones.
      await Promise.all([app.close(), ollamaApp?.close()]);
      clearTimeout(timer);
      await station.close();
    })();
    return stopping;
  };
  return {
    app,
    station,
    url: `${scheme}://${host}:${port}`,
    ...(ollamaPort === undefined ? {} : { ollamaUrl: `${scheme}://${host}:${ollamaPort}` }),
    stop,
  };
}
