import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.ts";
import { loadConfig } from "./load-config.ts";

const directory = mkdtempSync(path.join(tmpdir(), "station-config-"));
function configFile(name: string, text: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, text);
  return file;
}

function loadError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("uses the embedded defaults with no file", () => {
    const { config, file } = loadConfig({}, {});
    expect(file).toBeUndefined();
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 2020, apiKeys: [] });
    expect(config.providers?.map((provider) => provider.type)).toEqual(["llamacpp", "ocr", "local-vision", "local-speech"]);
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it("reads YAML, interpolates environment variables with and without defaults", () => {
    const file = configFile(
      "ok.yaml",
      [
        "server: { port: 3030 }",
        "providers:",
        "  - id: lmstudio",
        "    type: lmstudio",
        "    baseUrl: http://127.0.0.1:1234/v1",
        "    apiKey: ${LMSTUDIO_API_TOKEN}",
        "webhooks:",
        "  secret: ${HOOK_SECRET:-whsec_default}",
      ].join("\n"),
    );
    const { config } = loadConfig({ config: file }, { LMSTUDIO_API_TOKEN: "token-1" });
    expect(config.server.port).toBe(3030);
    expect(config.providers?.[0]).toMatchObject({ id: "lmstudio", apiKey: "token-1", retry: { attempts: 3 } });
    expect(config.webhooks.secret).toBe("whsec_default");
  });

  it("takes Hugging Face's HF_TOKEN and HF_ENDPOINT unless the file sets them", () => {
    const plain = loadConfig({}, { HF_TOKEN: "hf_env", HF_ENDPOINT: "https://mirror.example" }).config;
    expect(plain.huggingFace).toEqual({ token: "hf_env", endpoint: "https://mirror.example" });
    expect(loadConfig({}, {}).config.huggingFace).toEqual({ endpoint: "https://huggingface.co" });
    const file = configFile("hf.json", JSON.stringify({ huggingFace: { token: "hf_file" } }));
    expect(loadConfig({ config: file }, { HF_TOKEN: "hf_env" }).config.huggingFace.token).toBe("hf_file");
  });

  it("reads JSON and layers environment then flags over the file", () => {
    const file = configFile("ok.json", JSON.stringify({ server: { host: "127.0.0.1", port: 4000 }, dataDir: "/tmp/from-file" }));
    const environment = { STATION_PORT: "4001", STATION_DATA_DIR: "/tmp/from-env", STATION_API_KEYS: "a, b,", STATION_LOG_LEVEL: "warn" };
    const fromEnvironment = loadConfig({ config: file }, environment).config;
    expect(fromEnvironment.server.port).toBe(4001);
    expect(fromEnvironment.dataDir).toBe("/tmp/from-env");
    expect(fromEnvironment.server.apiKeys).toEqual(["a", "b"]);
    expect(fromEnvironment.logLevel).toBe("warn");
    const fromFlags = loadConfig({ config: file, port: 4002, dataDir: "/tmp/from-flag" }, environment).config;
    expect(fromFlags.server.port).toBe(4002);
    expect(fromFlags.dataDir).toBe("/tmp/from-flag");
  });

  it("STATION_CONFIG names the file", () => {
    const file = configFile("env.yaml", "server: { port: 5050 }\n");
    expect(loadConfig({}, { STATION_CONFIG: file }).config.server.port).toBe(5050);
  });

  it("rejects an unknown key, naming the file and the key", () => {
    const file = configFile("unknown.yaml", "server:\n  port: 2020\n  prot: 1\n");
    const error = loadError(() => loadConfig({ config: file }, {}));
    expect(error.message).toContain(file);
    expect(error.message).toContain("'prot'");
    expect(error.message).toContain("server");
    expect(error.exitCode).toBe(2);
  });

  it("rejects an unknown key inside a provider", () => {
    const file = configFile("provider.yaml", "providers:\n  - id: x\n    type: openai\n    baseUrl: http://h/v1\n    apikey: k\n");
    expect(loadError(() => loadConfig({ config: file }, {})).message).toMatch(/'apikey'.*providers\.0/);
  });

  it("rejects a wrong type, naming the key and what was expected", () => {
    const file = configFile("type.yaml", "server:\n  port: not-a-number\n");
    const error = loadError(() => loadConfig({ config: file }, {}));
    expect(error.message).toContain(file);
    expect(error.message).toContain("key 'server.port'");
    expect(error.message).toMatch(/expected number/);
  });

  it("rejects a missing ${VAR}, naming the key and the variable", () => {
    const file = configFile(
      "var.yaml",
      "providers:\n  - id: or\n    type: openrouter\n    baseUrl: https://openrouter.ai/api/v1\n    apiKey: ${OPENROUTER_KEY}\n",
    );
    const error = loadError(() => loadConfig({ config: file }, {}));
    expect(error.message).toContain("providers.0.apiKey");
    expect(error.message).toContain("OPENROUTER_KEY");
  });

  it("rejects an unreadable or missing file", () => {
    expect(loadError(() => loadConfig({ config: path.join(directory, "missing.yaml") }, {})).message).toMatch(/cannot read.*ENOENT/);
    if (process.getuid?.() !== 0) {
      const file = configFile("locked.yaml", "server: {}\n");
      chmodSync(file, 0o000);
      expect(loadError(() => loadConfig({ config: file }, {})).message).toMatch(/cannot read.*EACCES/);
    }
  });

  it("rejects syntax errors and a non-mapping top level", () => {
    expect(loadError(() => loadConfig({ config: configFile("bad.yaml", "server: [1, 2\n") }, {})).message).toMatch(/not valid YAML/);
    expect(loadError(() => loadConfig({ config: configFile("bad.json", "{") }, {})).message).toMatch(/not valid JSON/);
    expect(loadError(() => loadConfig({ config: configFile("list.yaml", "- 1\n") }, {})).message).toMatch(/top level/);
  });

  it("rejects a bad STATION_PORT", () => {
    expect(loadError(() => loadConfig({}, { STATION_PORT: "99999" })).message).toContain("STATION_PORT");
  });

  it("requires exactly one of command or url for an MCP server", () => {
    const file = configFile("mcp.yaml", "mcp:\n  servers:\n    - id: both\n      command: npx\n      url: http://127.0.0.1:1/mcp\n");
    expect(loadError(() => loadConfig({ config: file }, {})).message).toMatch(/mcp\.servers\.0.*exactly one/);
  });
});
