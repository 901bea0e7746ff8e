import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./create-logger.ts";

function memoryStream(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

describe("createLogger", () => {
  it("redacts secrets wherever they appear", () => {
    const { stream, text } = memoryStream();
    const logger = createLogger("info", stream);
    logger.info({ apiKey: "sk-top-level" }, "one");
    logger.info({ provider: { id: "x", apiKey: "sk-nested" } }, "two");
    logger.info({ webhooks: { secret: "whsec_abc" }, req: { headers: { authorization: "Bearer sk-header" } } }, "three");
    const output = text();
    for (const secret of ["sk-top-level", "sk-nested", "whsec_abc", "sk-header"]) expect(output).not.toContain(secret);
    expect(output.match(/\[redacted\]/g)?.length).toBe(4);
  });
});
