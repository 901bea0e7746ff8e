import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { huggingFaceRepositoryFiles } from "../support/fake-hugging-face-repository.ts";
import { launchChromium } from "../support/launch-chromium.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyFlorence2 } from "../support/tiny-florence2.ts";
import { buildTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng } from "../support/vision-images.ts";

/**
 * Getting a vision model from the web UI, offline: Station's Hugging Face endpoint is a local
 * file server holding tiny random-weight Florence-2 repositories (under the recommended
 * repository's name too). Station starts as with the embedded defaults for vision: OCR and an
 * empty local vision provider, so nothing can caption until a model is pulled.
 */
describe("web UI: pulling models (Vision view's offer, Models view)", () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "station-pull-ui-"));
  let huggingFace: FileServer;
  let station: TestStation;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const recommended = path.join(workDir, "recommended");
    writeTinyFlorence2(recommended, { text: "A pulled model" });
    const tiny = path.join(workDir, "tiny");
    writeTinyFlorence2(tiny, { text: "Another pulled model" });
    huggingFace = await startFileServer({
      ...huggingFaceRepositoryFiles("/onnx-community/Florence-2-base-ft", recommended),
      ...huggingFaceRepositoryFiles("/onnx-community/Tiny-Florence-2", tiny),
      "/files/tiny-moondream.mf": buildTinyMoonfile().bytes,
    });
    station = await startTestStation({
      config: {
        providers: [
          { id: "ocr", type: "ocr" },
          { id: "vision", type: "local-vision" },
        ],
        huggingFace: { endpoint: huggingFace.url },
        // The .mf URL is on this machine's loopback address.
        security: { allowPrivateNetworks: true },
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await station?.close();
    await huggingFace?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("Vision says OCR answers, offers the recommended model, pulls it with progress, then captions with it", async () => {
    await page.goto(`${station.url}/#/vision`);
    const answerer = page.locator("#vision-answerer");
    await answerer.getByText("Answers: ocr/ppocr-v4 (Station's default; OCR: it only reads text)").waitFor();
    const hint = page.locator("#vision-hint");
    await hint.getByText("No captioning model.").waitFor();
    await hint.getByRole("button", { name: "Pull Florence-2-base-ft" }).click();

    const progress = hint.locator(".pull-progress");
    // Attached, not visible: once the model serves, the whole note goes away.
    await progress.and(page.locator('[data-state="done"]')).waitFor({ state: "attached", timeout: 30_000 });
    expect(await progress.locator("progress").getAttribute("value")).toBe("100");
    // Each streamed progress event moved the bar: more than the final one arrived.
    expect(Number(await progress.getAttribute("data-updates"))).toBeGreaterThan(1);
    expect(await progress.textContent()).toMatch(/Pulled: vision\/Florence-2-base-ft \(florence2, fp32,/);

    // The model serves at once: the note goes, the default is the pulled model, and it captions.
    await hint.waitFor({ state: "hidden" });
    await page.locator("#notices .notice-info", { hasText: "vision/Florence-2-base-ft is ready to caption." }).waitFor();
    await answerer.getByText("Answers: vision/Florence-2-base-ft (Station's default)").waitFor();
    expect(await page.locator("#vision-model option").allTextContents()).toContain("vision/Florence-2-base-ft");
    await page.setInputFiles("#vision-image", { name: "grey.png", mimeType: "image/png", buffer: await solidPng(64, 64) });
    await page.getByRole("button", { name: "Caption", exact: true }).click();
    await page.locator("#vision-output", { hasText: "A pulled model" }).waitFor({ timeout: 30_000 });
  }, 90_000);

  it("Models pulls a repository and a .mf URL with a progress bar and lists them; a failed pull is reported", async () => {
    await page.goto(`${station.url}/#/models`);
    await page.getByLabel("Repository or .mf file").fill("hf:onnx-community/Tiny-Florence-2");
    await page.getByLabel("Precision").selectOption("q8");
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    const progress = page.locator(".pull-progress");
    await progress.and(page.locator('[data-state="done"]')).waitFor({ timeout: 30_000 });
    expect(await progress.locator("progress").getAttribute("value")).toBe("100");
    expect(Number(await progress.getAttribute("data-updates"))).toBeGreaterThan(1);
    expect(await progress.textContent()).toMatch(/Pulled: vision\/Tiny-Florence-2 \(florence2, q8,/);
    await page.getByRole("cell", { name: "vision/Tiny-Florence-2" }).waitFor();

    // A Moondream .mf by URL: no precision, one file.
    await page.getByLabel("Repository or .mf file").fill(`${huggingFace.url}/files/tiny-moondream.mf`);
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    await progress
      .and(page.locator('[data-state="done"]'))
      .getByText(/Pulled: vision\/tiny-moondream \(moondream-mf, mf,/)
      .waitFor({ timeout: 30_000 });
    expect(await progress.locator("progress").getAttribute("value")).toBe("100");
    await page.getByRole("cell", { name: "vision/tiny-moondream" }).waitFor();

    await page.getByLabel("Repository or .mf file").fill("hf:onnx-community/Nothing-Here");
    await page.getByRole("button", { name: "Pull", exact: true }).click();
    await progress.and(page.locator('[data-state="failed"]')).waitFor({ timeout: 30_000 });
    await page.locator("#notices .notice-error", { hasText: "pull_failed" }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
