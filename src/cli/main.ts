import { Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../config/config-error.ts";
import { stationVersion } from "../version.ts";

/**
 * A command's action, imported when the command runs: `station --version` or `station chat` must
 * not pay for loading the server, the engines and every SDK (tens of modules each).
 */
// biome-ignore lint/suspicious/noExplicitAny: commander hands each action its own argument list
type Action = (...args: any[]) => void | Promise<void>;
function lazy(load: () => Promise<Action>): Action {
  return async (...args) => (await load())(...args);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("a port number 0-65535");
  return port;
}

/** Flags every command that reads the configuration accepts. */
function withConfigFlags(command: Command): Command {
  return command
    .option("-c, --config <file>", "configuration file (YAML or JSON); also STATION_CONFIG")
    .option("--host <host>", "address to bind; also STATION_HOST")
    .option("-p, --port <port>", "port to listen on; also STATION_PORT", parsePort)
    .option("-d, --data-dir <dir>", "data directory (database, models, uploads); also STATION_DATA_DIR")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace|silent; also STATION_LOG_LEVEL");
}

/** Flags of the commands that talk to a running server. */
function withClientFlags(command: Command): Command {
  return withConfigFlags(command)
    .option("-u, --url <url>", "Station's base URL (default: host and port from the configuration)")
    .option("-k, --api-key <key>", "API key (default: the first configured key)");
}

export function buildCli(): Command {
  const program = new Command("station")
    .description("Station: a self-hosted AI backend (OpenAI- and Moondream-compatible APIs, MCP tools, durable jobs)")
    .version(stationVersion, "-v, --version");

  withConfigFlags(program.command("serve").description("start the server (default 127.0.0.1:2020)"))
    .option("--insecure", "allow a non-loopback bind without API keys")
    .action(lazy(async () => (await import("./serve-command.ts")).serveCommand));

  withConfigFlags(program.command("doctor").description("check the configuration, data dir, port and providers"))
    .option("--json", "print the report as JSON")
    .action(lazy(async () => (await import("./doctor-command.ts")).doctorCommand));

  withConfigFlags(program.command("models").description("list the models the registry sees (no server needed)"))
    .option("--json", "print the list as JSON")
    .action(lazy(async () => (await import("./models-command.ts")).modelsCommand));

  withConfigFlags(
    program
      .command("pull")
      .description(
        "download a GGUF model, a Hugging Face ONNX vision repository or a Moondream .mf into the models dir (resumes interrupted downloads)",
      )
      .argument(
        "<model-uri>",
        "hf:<user>/<repo>/<file>.gguf, an https:// URL, hf:<user>/<repo> (ONNX repository), or a .mf / .mf.gz file path or URL",
      ),
  )
    .option("--sha256 <hex>", "expected SHA-256 of the file")
    .option(
      "--dtype <precision>",
      "ONNX repositories: fp32, q8, fp16, q4, ... (default: fp32 if present, else the next the repository has)",
    )
    .option("--dir <dir>", "directory to save into (default: the llamacpp models dir)")
    .option("--hf-endpoint <url>", "Hugging Face endpoint or mirror (default: huggingFace.endpoint, HF_ENDPOINT, https://huggingface.co)")
    .option("--no-progress", "no progress bar")
    .action(lazy(async () => (await import("./pull-command.ts")).pullCommand));

  withClientFlags(
    program
      .command("chat")
      .description("chat with a running Station (MCP tools run server-side); no message = interactive")
      .argument("[message...]", "the message; or pipe it on stdin"),
  )
    .option("-m, --model <model>", "model id or route (default: the client's settings)")
    .option("--client-id <id>", "client whose settings, presets and tool preferences apply", "cli")
    .option("-s, --session <id>", "continue this session")
    .option("--preset <name>", "apply this preset")
    .action(lazy(async () => (await import("./chat-command.ts")).chatCommand));

  withClientFlags(
    program
      .command("caption")
      .description("caption an image (file or http(s) URL) with a running Station's vision API")
      .argument("<image>", "image file or URL"),
  )
    .option("-q, --question <text>", "ask a question about the image instead")
    .option("--length <length>", "short | normal | long", "normal")
    .option("-m, --model <model>", "vision model (default: the configured one)")
    .action(lazy(async () => (await import("./caption-command.ts")).captionCommand));

  withConfigFlags(
    program.command("cert").description("write a self-signed certificate for HTTPS/WSS (server.tls) and print how to trust it"),
  )
    .option("--dir <dir>", "where to write station-cert.pem and station-key.pem (default: <dataDir>/tls)")
    .option("--hosts <names...>", "more host names or IPs the certificate covers (localhost, 127.0.0.1, ::1 always)")
    .option("--days <days>", "validity in days", "825")
    .action(lazy(async () => (await import("./cert-command.ts")).certCommand));

  const mcp = program.command("mcp").description("inspect the MCP servers of a running Station");
  withClientFlags(mcp.command("servers").description("MCP servers, their state and tool counts"))
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./mcp-command.ts")).mcpServersCommand));
  withClientFlags(mcp.command("tools").description("the tools one MCP server offers").argument("<server>", "server id"))
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./mcp-command.ts")).mcpToolsCommand));
  withClientFlags(mcp.command("refresh").description("reconnect servers that are down and re-list tools")).action(
    lazy(async () => (await import("./mcp-command.ts")).mcpRefreshCommand),
  );

  return program;
}

/**
 * `station mcp tools x | head -5`: once the reader is gone, every write fails with EPIPE, which
 * Node raises as an unhandled 'error' event (a stack trace). End quietly instead, as Unix tools
 * do on SIGPIPE: nobody is left to read the rest.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  endQuietlyOnClosedPipe();
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`station: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`station: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
