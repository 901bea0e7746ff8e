import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptedChatProvider } from "../support/chat-scripted-provider.ts";
import { launchChromium } from "../support/launch-chromium.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { watchPageProblems } from "../support/watch-page-problems.ts";

const key = "docs-browser-key-123456";

/**
 * The API reference in a real Chromium against a Station with API keys: the sidebar link opens
 * /docs, which takes the key the web UI stored, loads the document and sends the key on "Try
 * it out"; without a stored key it asks for one. Every wait is for an element, never for time.
 */
describe("API reference in a browser, with API keys", () => {
  let station: TestStation;
  let browser: Browser;
  // One context for the whole file: the packaged Chromium runs single-process, where a second context hangs.
  let context: BrowserContext;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    station = await startTestStation({
      providers: [createScriptedChatProvider("scripted", () => ({ text: "hi" }))],
      config: { server: { apiKeys: [key] } },
    });
    browser = await launchChromium();
    context = await browser.newContext();
    context.on("page", (page) => watchPageProblems(page, pageErrors, cspViolations));
  });
  afterAll(async () => {
    await browser?.close();
    await station?.close();
  });

  const operation = (page: Page, path: string) => page.locator(`.opblock-get:has(.opblock-summary-path[data-path="${path}"])`);

  it("the sidebar link opens the reference with the web UI's key: the document loads and Try it out sends the key", async () => {
    const page = await context.newPage();
    await page.goto(`${station.url}/#/models`);
    const dialog = page.getByRole("dialog", { name: "API key" });
    await dialog.getByLabel("Key").fill(key);
    await dialog.getByRole("button", { name: "Save" }).click();
    await page.getByRole("cell", { name: "scripted/scripted" }).waitFor();

    const [docs] = await Promise.all([context.waitForEvent("page"), page.getByRole("link", { name: "API reference" }).click()]);
    const models = operation(docs, "/v1/models");
    await models.waitFor();
    expect(await docs.locator("#docs-key").isVisible()).toBe(false);

    await models.locator(".opblock-summary").click();
    await models.getByRole("button", { name: "Try it out" }).click();
    await models.getByRole("button", { name: "Execute" }).click();
    const status = models.locator(".live-responses-table tbody .response-col_status");
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe("200");
    expect(await models.locator(".live-responses-table tbody .microlight").first().textContent()).toContain("scripted/scripted");
  });

  it("without a stored key, asks for one, keeps it where the web UI does, and loads", async () => {
    const docs = await context.newPage();
    await docs.goto(`${station.url}/docs`);
    await docs.evaluate(`localStorage.removeItem("station.apiKey")`);
    await docs.reload();
    const form = docs.locator("#docs-key");
    await form.waitFor();
    await docs.getByLabel("API key").fill(key);
    await docs.getByRole("button", { name: "Use this key" }).click();
    await operation(docs, "/v1/models").waitFor();
    expect(await docs.evaluate(`localStorage.getItem("station.apiKey")`)).toBe(key);
  });

  it("ran without a script error or a CSP violation", () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
