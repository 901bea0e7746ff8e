import { type ConfigFlags, loadConfig } from "../config/load-config.ts";

export interface ConnectionFlags extends ConfigFlags {
  /** Base URL of a running Station, e.g. http://127.0.0.1:2020 */
  url?: string;
  apiKey?: string;
}

export interface ServerConnection {
  baseUrl: string;
  /** Calls the server; JSON bodies are encoded, errors become exceptions with the server's message. */
  request(method: string, path: string, body?: unknown, accept?: string): Promise<Response>;
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/**
 * How the client commands (`chat`, `caption`, `mcp`) reach a running Station: --url, else the
 * host and port of the configuration; --api-key, else the first configured key.
 */
export function connectToServer(flags: ConnectionFlags): ServerConnection {
  let baseUrl = flags.url;
  let apiKey = flags.apiKey;
  if (baseUrl === undefined || apiKey === undefined) {
    const { config } = loadConfig(flags);
    const host = config.server.host === "0.0.0.0" || config.server.host === "::" ? "127.0.0.1" : config.server.host;
    baseUrl ??= `http://${host.includes(":") ? `[${host}]` : host}:${config.server.port}`;
    apiKey ??= config.server.apiKeys[0];
  }
  const root = baseUrl.replace(/\/+$/, "");
  const request = async (method: string, path: string, body?: unknown, accept = "application/json"): Promise<Response> => {
    const headers: Record<string, string> = { accept };
    if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new Error(`cannot reach Station at ${root} (${code}); is \`bin/station serve\` running?`);
    }
    if (!response.ok) throw new Error(await describeFailure(response));
    return response;
  };
  return {
    baseUrl: root,
    request,
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      return (await (await request(method, path, body)).json()) as T;
    },
  };
}

async function describeFailure(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string } };
    if (body.error?.message !== undefined) return `${response.status} ${body.error.code ?? ""}: ${body.error.message}`.replace(" :", ":");
  } catch {
    // not JSON
  }
  return `${response.status} ${response.statusText}: ${text.slice(0, 500)}`;
}
