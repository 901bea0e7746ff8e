import { type ConfigFlags, loadConfig } from "../config/load-config.ts";
import { runDiagnostics } from "../system/diagnostics.ts";

const marks = { ok: "✔", warn: "!", fail: "✘" } as const;

/** `station doctor`: the diagnostics scan, human-readable (or --json). Exit 1 when a check fails. */
export async function doctorCommand(flags: ConfigFlags & { json?: boolean }): Promise<void> {
  const { config, file } = loadConfig(flags);
  const report = await runDiagnostics(config);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ config: file ?? null, ...report }, null, 2)}\n`);
  } else {
    process.stdout.write(`config: ${file ?? "(defaults)"} ✔ valid\n`);
    for (const check of report.checks) process.stdout.write(`${marks[check.status]} ${check.name}: ${check.detail}\n`);
    process.stdout.write(`\n${report.status === "fail" ? "problems found" : "all good"}\n`);
  }
  if (report.status === "fail") process.exitCode = 1;
}
