import { describe, expect, it } from "vitest";
import { probesFor } from "./redact-bytes.ts";
import { createSecretRedactor } from "./secret-redactor.ts";

const key = "sk-test-0123456789abcdef";
const other = "org-header-secret-42";
const event = (text: string): string => `data: {"choices":[{"delta":{"content":${JSON.stringify(text)}}}]}\n\n`;

/** Relays `chunks` through one stream redaction, as write-gateway-reply does. */
function relay(chunks: Buffer[], secrets = [key, other]): string {
  const redaction = createSecretRedactor(secrets).streamRedaction();
  if (redaction === undefined) throw new Error("no redaction");
  const out = chunks.map((chunk) => redaction.push(chunk));
  const held = redaction.end();
  if (held !== undefined) out.push(held);
  return Buffer.concat(out).toString("utf8");
}

describe("redaction of relayed bytes", () => {
  it("replaces every secret in a whole body, and returns the very same Buffer when none occurs", () => {
    const redactor = createSecretRedactor([key, other]);
    const clean = Buffer.from('{"choices":[{"message":{"content":"hi"}}]}');
    expect(redactor.redactBytes(clean)).toBe(clean);
    const dirty = Buffer.from(`{"error":{"message":"Incorrect API key provided: ${key}; header ${other}; again ${key}"}}`);
    expect(redactor.redactBytes(dirty).toString()).toBe(
      '{"error":{"message":"Incorrect API key provided: [redacted]; header [redacted]; again [redacted]"}}',
    );
  });

  it("looks for one probe per secret whatever its spellings, and still replaces each spelling", () => {
    const webhook = "whsec_c2VjcmV0+LXNp/Z25pbmc=";
    const bare = webhook.slice("whsec_".length);
    const spellings = [webhook, encodeURIComponent(webhook), bare, encodeURIComponent(bare)];
    expect(probesFor(spellings.map((spelling) => Buffer.from(spelling)))).toEqual([Buffer.from(bare.slice(0, 8))]);
    const redactor = createSecretRedactor([webhook, bare]);
    for (const spelling of spellings) {
      expect(redactor.redactBytes(Buffer.from(`{"message":"got ${spelling}!"}`)).toString()).toBe('{"message":"got [redacted]!"}');
    }
  });

  it("costs nothing without a configured secret: no stream redaction at all", () => {
    const redactor = createSecretRedactor([]);
    expect(redactor.streamRedaction()).toBeUndefined();
    const bytes = Buffer.from(key);
    expect(redactor.redactBytes(bytes)).toBe(bytes);
  });

  it("catches a secret split across two chunks, at every split point", () => {
    const text = `${event("one")}data: {"error":{"message":"Incorrect API key provided: ${key}"}}\n\n${event("two")}`;
    const bytes = Buffer.from(text);
    const expected = text.replace(key, "[redacted]");
    for (let split = 1; split < bytes.length; split++) {
      expect(relay([bytes.subarray(0, split), bytes.subarray(split)])).toBe(expected);
    }
  });

  it("catches a secret cut into one-byte chunks, and the JSON-escaped spelling of one", () => {
    const quoted = 'pa"ss/word+12345';
    const text = `${event(`key ${key} and ${quoted}`)}data: [DONE]\n\n`;
    const bytes = Buffer.from(text);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const out = relay(chunks, [key, quoted]);
    expect(out).not.toContain(key);
    expect(out).not.toContain(JSON.stringify(quoted).slice(1, -1));
    expect(out).toBe(`${event("key [redacted] and [redacted]")}data: [DONE]\n\n`);
  });

  it("holds nothing back from a chunk that ends an event, and gives back the start of a secret that never completed", () => {
    const redaction = createSecretRedactor([key]).streamRedaction();
    const whole = Buffer.from(event("hello"));
    expect(redaction?.push(whole)).toBe(whole);
    expect(redaction?.push(Buffer.from("data: sk-te")).toString()).toBe("data: ");
    expect(redaction?.end()?.toString()).toBe("sk-te");
  });

  it("keeps the bytes of a multi-byte character split across chunks exactly", () => {
    const text = `${event("Grüße, 日本語 🦊")}${event(key)}`;
    const bytes = Buffer.from(text);
    for (let split = 1; split < bytes.length; split += 3) {
      expect(relay([bytes.subarray(0, split), bytes.subarray(split)])).toBe(text.replace(key, "[redacted]"));
    }
  });
});
