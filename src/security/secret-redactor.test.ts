import { describe, expect, it } from "vitest";
import { configuredSecrets } from "./configured-secrets.ts";
import { createSecretRedactor } from "./secret-redactor.ts";

describe("createSecretRedactor", () => {
  it("replaces every occurrence of every secret, as written, JSON-escaped and URL-encoded", () => {
    const redactor = createSecretRedactor(["sk-live-123456", 'pa"ss/word+1']);
    expect(redactor.redact("key sk-live-123456 and again sk-live-123456")).toBe("key [redacted] and again [redacted]");
    expect(redactor.redact(JSON.stringify({ message: 'got pa"ss/word+1' }))).toBe('{"message":"got [redacted]"}');
    expect(redactor.redact(`https://x.example/?key=${encodeURIComponent('pa"ss/word+1')}`)).toBe("https://x.example/?key=[redacted]");
  });

  it("replaces a secret that contains another one whole", () => {
    const redactor = createSecretRedactor(["abcdefgh", "abcdefgh-longer-one"]);
    expect(redactor.redact("abcdefgh-longer-one")).toBe("[redacted]");
  });

  it("returns the very same string when no secret occurs", () => {
    const redactor = createSecretRedactor(["sk-live-123456"]);
    const line = "nothing to see here";
    expect(redactor.redact(line)).toBe(line);
  });

  it("leaves values shorter than the guard alone, and counts them", () => {
    const redactor = createSecretRedactor(["abc", "x"]);
    expect(redactor.redact("abc is a common word: abcdef")).toBe("abc is a common word: abcdef");
    expect(redactor.tooShort).toBe(2);
  });

  it("takes secrets known only at run time", () => {
    const redactor = createSecretRedactor();
    redactor.add("whsec_generated-at-start");
    expect(redactor.redact("whsec_generated-at-start")).toBe("[redacted]");
  });
});

describe("configuredSecrets", () => {
  it("finds every kind of credential in a config, by key name", () => {
    const found = configuredSecrets({
      server: { host: "127.0.0.1", port: 2020, apiKeys: ["station-key-1", "station-key-2"] },
      providers: [
        {
          id: "openrouter",
          type: "openrouter",
          baseUrl: "https://openrouter.ai/api/v1",
          apiKey: "sk-or-123",
          headers: { "X-Title": "My app" },
        },
        {
          id: "vllm",
          type: "openai",
          baseUrl: "http://user:p%40ssword@10.0.0.5:8000/v1",
          headers: { Authorization: "Bearer tok-in-header" },
        },
      ],
      mcp: {
        servers: [
          { id: "gh", command: "npx", env: { GITHUB_TOKEN: "ghp_secret", NODE_ENV: "production" } },
          { id: "search", url: "http://127.0.0.1:9001/mcp", headers: { "x-api-key": "mcp-header-key" } },
        ],
      },
      huggingFace: { endpoint: "https://huggingface.co", token: "hf_token_value" },
      webhooks: { secret: "whsec_AAAA" },
      storage: { url: "postgres://station:db-password@127.0.0.1/station" },
      dataDir: "./.station",
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "station-key-1",
        "station-key-2",
        "sk-or-123",
        "My app",
        "Bearer tok-in-header",
        "tok-in-header",
        "p%40ssword",
        "p@ssword",
        "ghp_secret",
        "mcp-header-key",
        "hf_token_value",
        "whsec_AAAA",
        "AAAA",
        "db-password",
      ]),
    );
    // Not credentials: ids, URLs without a password, ordinary environment values, paths.
    for (const value of ["production", "openrouter", "https://openrouter.ai/api/v1", "./.station", "127.0.0.1"]) {
      expect(found).not.toContain(value);
    }
  });
});
