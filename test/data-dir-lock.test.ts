import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/config-error.ts";
import { startTestStation } from "./support/start-test-station.ts";

describe("data dir lock", () => {
  it("refuses a second Station on the same data dir, and frees it on close", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "station-lock-"));
    const first = await startTestStation({ dataDir });
    const second = startTestStation({ dataDir });
    await expect(second).rejects.toThrow(ConfigError);
    await expect(second).rejects.toThrow(/another Station is already serving the data dir/);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    await first.close();

    const third = await startTestStation({ dataDir });
    expect((await fetch(`${third.url}/health`)).status).toBe(200);
    await third.close();
  });
});
