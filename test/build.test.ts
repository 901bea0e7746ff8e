import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitForHealth } from "./support/station-process.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
// A sibling of dist/ (same depth under the repository), so paths the build resolves at run
// time (web/, package.json) are found as they are from dist/; the real dist/ is left alone.
const outDir = path.join(root, `dist-test-${process.pid}`);
const dataDir = mkdtempSync(path.join(tmpdir(), "station-build-"));

/** Runs the compiled CLI (what bin/station runs when dist/ is current) with plain Node: no tsx loader. */
function builtCli(args: string[]) {
  return execFile(process.execPath, [path.join(outDir, "station.mjs"), ...args], {
    cwd: root,
    env: { ...process.env, STATION_LOG_LEVEL: "info" },
  });
}

/** npm packages the compiled `serve` imports before its /health answers (test/support/record-imported-packages.mjs). */
async function packagesImportedAtStart(): Promise<string[]> {
  const log = path.join(dataDir, "imported-packages.txt");
  const port = await freePort();
  const server = execFile(
    process.execPath,
    [
      "--import",
      path.join(root, "test/support/record-imported-packages.mjs"),
      path.join(outDir, "station.mjs"),
      "serve",
      "--port",
      String(port),
      "--data-dir",
      path.join(dataDir, "imports"),
    ],
    { cwd: root, env: { ...process.env, STATION_LOG_LEVEL: "warn", STATION_TEST_IMPORT_LOG: log } },
  );
  const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
    return readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "");
  } finally {
    server.kill("SIGTERM");
    await exited;
  }
}

function jsFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".js"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** `npm install` runs `prepare` (tsc -p tsconfig.build.json); `npm start` and bin/station run its output. */
describe("the production build", () => {
  beforeAll(async () => {
    await run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", outDir], {
      cwd: root,
    });
    await run(process.execPath, [path.join(root, "bin/bundle-dependencies.mjs"), outDir], { cwd: root });
    // bin/station's line for a current build, pointed at this output.
    writeFileSync(path.join(outDir, "station.mjs"), 'const { main } = await import("./cli/main.js");\nawait main(process.argv);\n');
  }, 240_000);
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("compiles every source to JavaScript that imports .js files, never .ts sources or tsx", () => {
    const files = jsFiles(outDir);
    expect(files.map((file) => path.relative(outDir, file))).toContain(path.join("cli", "main.js"));
    expect(files.some((file) => file.endsWith(".test.js"))).toBe(false);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(/(from|import\()\s*["'][^"']*\.ts["']/);
      // No import or require of tsx (a dev-only resolve of tsx's manifest, for .ts workers, is not one).
      expect(text, file).not.toMatch(/(from|import\(|require\()\s*["']tsx(\/[^"']*)?["']/);
    }
  });

  it("starts with the default config without importing an inference engine, a database driver or the OpenAPI tooling", async () => {
    const imported = await packagesImportedAtStart();
    expect(imported).toContain("zod");
    // Loaded from the build's one-file bundles (bin/bundle-dependencies.mjs), not file by file.
    expect(readdirSync(path.join(outDir, "bundled")).filter((name) => name.endsWith(".cjs"))).toEqual([
      "@fastify+static.cjs",
      "fastify.cjs",
      "kysely.cjs",
      "prom-client.cjs",
    ]);
    const onDemand = [
      "@huggingface/transformers",
      "onnxruntime-node",
      "sharp",
      "@gutenye/ocr-node",
      "node-llama-cpp",
      "@modelcontextprotocol/sdk",
      "pg",
      "ioredis",
      "bullmq",
      "@fastify/swagger",
      "@fastify/swagger-ui",
    ];
    expect(imported.filter((name) => onDemand.includes(name))).toEqual([]);
  });

  it("the compiled CLI prints its version and serves /health and the web UI", async () => {
    const version = await new Promise<string>((resolve, reject) => {
      builtCli(["--version"])
        .on("error", reject)
        .stdout?.on("data", (chunk: Buffer) => resolve(chunk.toString()));
    });
    expect(version.trim()).toBe((JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version);

    const port = await freePort();
    const server = builtCli(["serve", "--port", String(port), "--data-dir", dataDir]);
    const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      await waitForHealth(url, 60_000);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
      // What start-up no longer loads is imported on demand: the providers of the default
      // config, the OpenAPI document and the reference page with its files.
      const health = (await (await fetch(`${url}/health`)).json()) as { providers: { id: string }[] };
      expect(health.providers.map((provider) => provider.id)).toEqual(expect.arrayContaining(["local", "ocr", "vision", "speech"]));
      const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(document.paths["/v1/chat/completions"]).toBeDefined();
      for (const asset of ["/docs", "/docs/static/docs.js", "/docs/static/swagger-ui-bundle.js"]) {
        expect((await fetch(`${url}${asset}`)).status, asset).toBe(200);
      }
    } finally {
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});
