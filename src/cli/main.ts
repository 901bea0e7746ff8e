import { Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../config/config-error.ts";
import { stationVersion } from "../version.ts";
import { doctorCommand } from "./doctor-command.ts";
import { modelsCommand } from "./models-command.ts";
import { pullCommand } from "./pull-command.ts";
import { serveCommand } from "./serve-command.ts";

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

export function buildCli(): Command {
  const program = new Command("station")
    .description("Station: a self-hosted AI backend (OpenAI- and Moondream-compatible APIs, MCP tools, durable jobs)")
    .version(stationVersion, "-v, --version");

  withConfigFlags(program.command("serve").description("start the server (default 127.0.0.1:2020)"))
    .option("--insecure", "allow a non-loopback bind without API keys")
    .action(serveCommand);

  withConfigFlags(program.command("doctor").description("check the configuration, data dir, port and providers"))
    .option("--json", "print the report as JSON")
    .action(doctorCommand);

  withConfigFlags(program.command("models").description("list the models the registry sees (no server needed)"))
    .option("--json", "print the list as JSON")
    .action(modelsCommand);

  withConfigFlags(
    program
      .command("pull")
      .description("download a GGUF model into the models dir (resumes interrupted downloads)")
      .argument("<model-uri>", "hf:<user>/<repo>/<file>.gguf or an https:// URL"),
  )
    .option("--sha256 <hex>", "expected SHA-256 of the file")
    .option("--dir <dir>", "directory to save into (default: the llamacpp models dir)")
    .option("--hf-endpoint <url>", "Hugging Face endpoint or mirror", "https://huggingface.co")
    .option("--no-progress", "no progress bar")
    .action(pullCommand);

  return program;
}

export async function main(argv: string[]): Promise<void> {
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
