import { request as httpRequest } from "node:http";
import OpenAI, { toFile } from "openai";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { espeakWav } from "./support/espeak-speech.ts";
import { type FakeOpenAiAudioUpstream, startFakeOpenAiAudioUpstream } from "./support/fake-openai-audio-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { runStation } from "./support/station-process.ts";
import { makeTestCertificate } from "./support/test-certificate.ts";

describe("TLS: server.tls serves HTTPS (and WSS) on one port", () => {
  const certificate = makeTestCertificate();
  let station: TestStation;
  let upstream: FakeOpenAiAudioUpstream;
  const dispatcher = new Agent({ connect: { ca: certificate.ca } });

  beforeAll(async () => {
    upstream = await startFakeOpenAiAudioUpstream();
    station = await startTestStation({
      config: {
        server: { host: "127.0.0.1", tls: { cert: certificate.cert, key: certificate.key } },
        providers: [{ id: "voice", type: "openai", baseUrl: upstream.url }],
      },
    });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
    await dispatcher.close();
    certificate.remove();
  });

  it("answers https:// with the certificate, and the official client works over it", async () => {
    expect(station.url.startsWith("https://127.0.0.1:")).toBe(true);
    const health = await undiciFetch(`${station.url}/health`, { dispatcher });
    expect(health.status).toBe(200);
    const client = new OpenAI({
      baseURL: `${station.url}/v1`,
      apiKey: "x",
      maxRetries: 0,
      fetchOptions: { dispatcher } as unknown as Record<string, never>,
    });
    const result = await client.audio.transcriptions.create({
      file: await toFile(espeakWav("secure"), "s.wav"),
      model: "voice/whisper-test",
    });
    expect(result.text).toContain("fake audio upstream");
  });

  it("refuses a client that does not trust the certificate, and plain HTTP on the port", async () => {
    await expect(fetch(`${station.url}/health`)).rejects.toThrow();
    const port = new URL(station.url).port;
    const outcome = await new Promise<string>((resolve) => {
      const request = httpRequest({ host: "127.0.0.1", port, path: "/health" }, (response) => resolve(`status ${response.statusCode}`));
      request.on("error", (error) => resolve(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`));
      request.end();
    });
    expect(outcome).not.toBe("status 200");
  });

  it("a missing certificate file stops start-up with a message naming the key", async () => {
    await expect(
      startTestStation({ config: { server: { tls: { cert: "/nonexistent/cert.pem", key: certificate.key } } } }),
    ).rejects.toThrow(/server\.tls\.cert: cannot read '\/nonexistent\/cert\.pem'/);
  });
});

describe("station cert", () => {
  it("writes a pair and prints how to serve and trust it", async () => {
    const certificate = makeTestCertificate();
    try {
      const child = runStation(["cert", "--dir", certificate.cert.replace(/station-cert\.pem$/, "cli"), "--hosts", "station.local"]);
      expect(await child.exited).toBe(0);
      expect(child.output()).toContain("station-cert.pem");
      expect(child.output()).toContain("NODE_EXTRA_CA_CERTS=");
      expect(child.output()).toMatch(/tls:\n\s+cert: .*station-cert\.pem\n\s+key: .*station-key\.pem/);
    } finally {
      certificate.remove();
    }
  });
});
