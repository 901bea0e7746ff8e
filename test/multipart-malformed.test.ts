import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

const filePart = (boundary: string) =>
  `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n`;

/** Bodies the multipart parser cannot read: each a 400 in Station's shape, never a 500. */
const malformed: { name: string; contentType: string; body: string; code?: string }[] = [
  { name: "no boundary parameter", contentType: "multipart/form-data", body: `${filePart("x")}--x--\r\n` },
  { name: "an empty boundary", contentType: "multipart/form-data; boundary=", body: `${filePart("x")}--x--\r\n` },
  { name: "a boundary the body does not use", contentType: "multipart/form-data; boundary=y", body: `${filePart("x")}--x--\r\n` },
  { name: "no closing boundary", contentType: "multipart/form-data; boundary=x", body: filePart("x") },
  {
    name: "a part cut off in its headers",
    contentType: "multipart/form-data; boundary=x",
    body: '--x\r\nContent-Disposition: form-data; name="file"; filen',
  },
  { name: "a part cut off in its data", contentType: "multipart/form-data; boundary=x", body: `${filePart("x").slice(0, -4)}` },
  { name: "an empty body", contentType: "multipart/form-data; boundary=x", body: "", code: "invalid_request" },
];

describe("malformed multipart bodies", () => {
  let station: TestStation;
  beforeAll(async () => {
    station = await startTestStation();
  });
  afterAll(async () => station?.close());

  for (const path of ["/api/uploads", "/describe/file"]) {
    it.each(malformed)(`${path}: $name → 400`, async ({ contentType, body, code = "invalid_multipart" }) => {
      const response = await fetch(`${station.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
      expect(response.status).toBe(400);
      const reply = (await response.json()) as { error: { code: string; message: string } };
      expect(reply.error.code).toBe(code);
      expect(reply.error.message.length).toBeGreaterThan(10);
    });
  }

  it.each(malformed.filter((entry) => entry.code === undefined))(
    "/v1/audio/transcriptions: $name → 400 in OpenAI's shape",
    async ({ contentType, body }) => {
      const response = await fetch(`${station.url}/v1/audio/transcriptions`, {
        method: "POST",
        headers: { "content-type": contentType },
        body,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: unknown }).error).toMatchObject({
        code: "invalid_multipart",
        type: "invalid_request_error",
        message: expect.stringContaining("could not be read"),
      });
    },
  );

  it("names what is wrong, and a well-formed upload works afterwards", async () => {
    const response = await fetch(`${station.url}/api/uploads`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=x" },
      body: filePart("x"),
    });
    expect(await response.json()).toEqual({
      error: { code: "invalid_multipart", message: expect.stringMatching(/unexpected end of multipart data\)/i) },
    });
    const form = new FormData();
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "note.txt");
    const good = await fetch(`${station.url}/api/uploads`, { method: "POST", body: form });
    expect(good.status).toBe(201);
    expect(await good.json()).toMatchObject({ filename: "note.txt", media_type: expect.stringMatching(/^text\/plain/) });
  });
});
