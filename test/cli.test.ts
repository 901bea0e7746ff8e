import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, runStation, waitForHealth } from "./support/station-process.ts";

const directory = mkdtempSync(path.join(tmpdir(), "station-cli-"));

async function expectConfigFailure(args: string[], pattern: RegExp, environment: Record<string, string> = {}) {
  const station = runStation(["serve", "--data-dir", path.join(directory, "data"), ...args], environment);
  expect(await station.exited).toBe(2);
  expect(station.output()).toMatch(pattern);
  return station.output();
}

describe("bin/station", () => {
  it("prints its version and help", async () => {
    const version = runStation(["--version"]);
    expect(await version.exited).toBe(0);
    expect(version.output().trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = runStation(["--help"]);
    expect(await help.exited).toBe(0);
    expect(help.output()).toContain("serve");
    expect(help.output()).toContain("doctor");
  });

  it("exits 2 with a clear message for each bad config", async () => {
    const unknown = path.join(directory, "unknown.yaml");
    writeFileSync(unknown, "server:\n  hots: 127.0.0.1\n");
    const output = await expectConfigFailure(["--config", unknown], /unknown key 'hots' under 'server'/);
    expect(output).toContain(unknown);
    expect(output).not.toMatch(/\n\s+at /);

    const wrongType = path.join(directory, "type.yaml");
    writeFileSync(wrongType, "queue:\n  capacity: lots\n");
    await expectConfigFailure(["--config", wrongType], /key 'queue\.capacity': .*expected number/);

    const missingVariable = path.join(directory, "variable.yaml");
    writeFileSync(missingVariable, "webhooks:\n  secret: ${STATION_TEST_UNSET_SECRET}\n");
    await expectConfigFailure(["--config", missingVariable], /'webhooks\.secret'.*STATION_TEST_UNSET_SECRET/);

    await expectConfigFailure(["--config", path.join(directory, "nope.yaml")], /nope\.yaml: cannot read the configuration file \(ENOENT\)/);
  }, 120_000); // four processes one after another; a loaded machine starts each slowly

  it("refuses a non-loopback bind without keys (exit 2), unless --insecure", async () => {
    await expectConfigFailure(["--host", "0.0.0.0", "--port", "0"], /refusing to listen on 0\.0\.0\.0 without an API key/);
  });

  // How fast it starts is bench/startup's business (a loaded CI machine is no clock).
  it("serves /health and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    const station = runStation(["serve", "--port", String(port), "--data-dir", path.join(directory, "serve")]);
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, 60_000);
    const health = (await (await fetch(`${url}/health`)).json()) as { status: string };
    expect(health.status).toMatch(/ok|degraded/);
    station.child.kill("SIGTERM");
    expect(await station.exited).toBe(0);
    expect(station.output()).toContain("shutting down");
  });

  it("doctor reports the checks", async () => {
    const port = await freePort();
    const doctor = runStation(["doctor", "--port", String(port), "--data-dir", path.join(directory, "doctor")]);
    await doctor.exited;
    expect(doctor.output()).toContain("config: (defaults) ✔ valid");
    expect(doctor.output()).toMatch(/✔ data dir: .* is writable/);
    expect(doctor.output()).toMatch(new RegExp(`✔ port: 127\\.0\\.0\\.1:${port} is free`));
  });
});
