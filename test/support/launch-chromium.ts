import { type Browser, chromium } from "playwright-core";

/** Flags that would switch off the very browser behaviour the web UI tests rely on (same-origin policy, mixed content). */
const weakeningFlags = new Set(["--disable-web-security", "--allow-running-insecure-content"]);

/**
 * A headless Chromium for the web UI tests, with no download and no system package: by default
 * the one `@sparticuz/chromium` (a dev dependency) ships inside its npm package, unpacked into
 * the temporary directory (the test run's own, once per run) and driven by playwright-core. `CHROMIUM_PATH=/usr/bin/chromium` uses a
 * system Chromium instead (Debian's `apt-get install chromium`). `extraArgs` adds switches (a fake
 * microphone: `--use-fake-device-for-media-stream`, `--use-file-for-fake-audio-capture=<wav>`).
 */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const systemChromium = process.env.CHROMIUM_PATH;
  if (systemChromium !== undefined && systemChromium !== "")
    return chromium.launch({ executablePath: systemChromium, headless: true, args: extraArgs });
  const { default: packaged } = await import("@sparticuz/chromium");
  return chromium.launch({
    executablePath: await packaged.executablePath(),
    headless: true,
    args: [
      ...packaged.args.filter((flag) => !weakeningFlags.has(flag)),
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}
