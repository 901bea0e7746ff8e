import { type ConfigFlags, loadConfig } from "../config/load-config.ts";
import { createLogger } from "../logging/create-logger.ts";
import { runDiagnostics } from "../system/diagnostics.ts";
import { openModelRegistry } from "./open-model-registry.ts";

const marks = { ok: "✔", warn: "!", fail: "✘" } as const;

/** `station doctor`: the diagnostics scan, human-readable (or --json). Exit 1 when a check fails. */
export async function doctorCommand(flags: ConfigFlags & { json?: boolean }): Promise<void> {
  const { config, file } = loadConfig(flags);
  const disabled: { name: string; status: "fail"; detail: string }[] = [];
  // The providers exactly as `serve` builds them: their own discovery says whether they work.
  const { registry } = await openModelRegistry(config, createLogger("silent"), (id, error) =>
    disabled.push({ name: `provider ${id}`, status: "fail", detail: `cannot be built: ${error.message}` }),
  );
  let report: Awaited<ReturnType<typeof runDiagnostics>>;
  try {
    report = await runDiagnostics(config, { registry });
  } finally {
    await registry.close();
  }
  if (disabled.length > 0) report = { status: "fail", checks: [...report.checks, ...disabled] };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ config: file ?? null, ...report }, null, 2)}\n`);
  } else {
    process.stdout.write(`config: ${file ?? "(defaults)"} ✔ valid\n`);
    for (const check of report.checks) process.stdout.write(`${marks[check.status]} ${check.name}: ${check.detail}\n`);
    process.stdout.write(`\n${report.status === "fail" ? "problems found" : "all good"}\n`);
  }
  if (report.status === "fail") process.exitCode = 1;
}
