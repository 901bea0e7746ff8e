import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { captionFor, type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "../support/fake-moondream-upstream.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { launchChromium } from "../support/launch-chromium.ts";
import { createInMemoryMcpServer } from "../support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { solidPng } from "../support/vision-images.ts";
import { watchPageProblems } from "../support/watch-page-problems.ts";

const streamedAnswer = "The fake upstream streams this answer in small pieces.";

/**
 * The web UI in a real headless Chromium against a real Station: a fake OpenAI upstream (the
 * streamed answer), a scripted chat provider with an in-memory MCP server (the tool loop, and a
 * reply that never ends for the Stop button), and a fake Moondream (vision). Every wait is for
 * an element or a text, never for time.
 */
describe("web UI in a browser", () => {
  let upstream: FakeOpenAiUpstream;
  let moondream: FakeMoondreamUpstream;
  let station: TestStation;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  const calculator = createInMemoryMcpServer("calc", (server) => {
    server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
    }));
  });
  const scripted = createScriptedChatProvider("scripted", (request) => {
    const last = lastMessage(request);
    if (last?.role === "tool") return { text: `The sum is ${textOf(last)}.` };
    if (textOf(last).includes("add")) return { toolCalls: [{ name: "calc__add", arguments: { a: 2, b: 40 } }] };
    return { text: "Partial answer, still thinking", hangAfterText: true };
  });

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    upstream.script({ text: streamedAnswer, chunkSize: 3 });
    moondream = await startFakeMoondreamUpstream();
    station = await startTestStation({
      providers: [scripted],
      mcpServers: [calculator.definition],
      config: {
        providers: [
          { id: "openai", type: "openai", baseUrl: upstream.url },
          { id: "md", type: "moondream", baseUrl: moondream.url },
        ],
        defaults: { chatModel: "openai/gpt-test", visionModel: "md/moondream" },
      },
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchPageProblems(page, pageErrors, cspViolations);
  });

  afterAll(async () => {
    await browser?.close();
    await station?.close();
    await upstream?.close();
    await moondream?.close();
  });

  const sendChat = async (model: string, message: string) => {
    await page.goto(`${station.url}/#/chat`);
    await page.getByLabel("Model").fill(model);
    await page.getByLabel("Message", { exact: true }).fill(message);
    await page.getByLabel("Message", { exact: true }).press("Enter");
  };

  it("Overview shows the providers with their status, and the chat model", async () => {
    await page.goto(`${station.url}/`);
    const providers = page.locator("section.card", { has: page.getByRole("heading", { name: "Providers" }) });
    const openai = providers.getByRole("row", { name: /openai/ });
    await expect.poll(() => openai.textContent(), { timeout: 10_000 }).toMatch(/openai\s*openai\s*ok\s*1/);
    await expect.poll(() => providers.getByRole("row", { name: /^md/ }).textContent(), { timeout: 10_000 }).toMatch(/moondream\s*ok/);
    const models = page.locator("section.card", { has: page.getByRole("heading", { name: "Models" }) });
    await models.getByText("openai/gpt-test").waitFor();
    await models.getByText("scripted/scripted").waitFor();
    expect(await page.title()).toBe("Overview · Station");
  });

  it("Chat streams the upstream's answer into the conversation and lists the session", async () => {
    await sendChat("openai/gpt-test", "Say something, please");
    const answer = page.locator(".message-assistant").last();
    await answer.getByText(streamedAnswer).waitFor();
    // The `done` event filled in the footer (model and token counts).
    await answer.locator(".message-meta", { hasText: /openai\/gpt-test · \d+ in · \d+ out/ }).waitFor();
    await page.locator(".session-title", { hasText: "Say something, please" }).waitFor();
    const sent = upstream.requests.filter((request) => request.path === "/v1/chat/completions").at(-1);
    expect(sent?.body).toMatchObject({ model: "gpt-test", stream: true });
  });

  it("Chat shows the server-side tool call with its arguments and result", async () => {
    await sendChat("scripted/scripted", "Please add 2 and 40");
    const answer = page.locator(".message-assistant").last();
    await answer.getByText("The sum is 42.").waitFor();
    const tool = answer.locator(".tool-call");
    expect(await tool.locator("summary").textContent()).toMatch(/calc__add\s*done in/);
    await tool.locator("summary").click();
    expect(await tool.locator("pre").first().textContent()).toContain('"a": 2');
    expect(await tool.locator(".tool-result pre").textContent()).toBe("42");

    // Reopened from storage (the page remembers the open conversation), the turn reads the same.
    await page.reload();
    const stored = page.locator(".message-assistant").last();
    await stored.getByText("The sum is 42.").waitFor();
    await stored.locator(".tool-call summary").click();
    expect(await stored.locator(".tool-call .tool-result pre").textContent()).toBe("42");
    expect(await page.locator(".message-user").last().textContent()).toBe("Please add 2 and 40");
  });

  it("Chat renders text as it streams, and Stop aborts the request", async () => {
    await sendChat("scripted/scripted", "Tell me a long story");
    const answer = page.locator(".message-assistant").last();
    // The model never finishes this reply: the text can only be on screen if it was streamed.
    await answer.getByText("Partial answer, still thinking").waitFor();
    const stop = page.getByRole("button", { name: "Stop" });
    expect(await stop.isEnabled()).toBe(true);
    await stop.click();
    await answer.getByText("stopped").waitFor();
    await expect.poll(() => scripted.aborted, { timeout: 10_000 }).toBe(1);
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
  });

  it("an API error (unknown model) appears in the message area, and the message is kept for another try", async () => {
    await sendChat("openai/no-such-model", "Hello?");
    const notice = page.locator("#notices .notice-error");
    await notice.getByText(/no-such-model/).waitFor();
    expect(await notice.getAttribute("role")).toBe("alert");
    expect(await notice.textContent()).toContain("model_not_found");
    expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe("Hello?");
  });

  it("Vision captions an uploaded image, then detects with boxes drawn over it", async () => {
    await page.goto(`${station.url}/#/vision`);
    await page.setInputFiles("#vision-image", { name: "red.png", mimeType: "image/png", buffer: await solidPng(320, 240) });
    // Page code goes in as strings: this project's TypeScript has no DOM types.
    await page.waitForFunction(
      `document.querySelector(".stage-image")?.complete && document.querySelector(".stage-image").naturalWidth === 320`,
    );
    await page.getByRole("button", { name: "Caption", exact: true }).click();
    await page.locator("#vision-output", { hasText: captionFor("normal", 320, 240) }).waitFor();

    await page.getByRole("radio", { name: "Detect" }).check();
    await page.getByLabel("Object").fill("square");
    await page.getByRole("button", { name: "Detect", exact: true }).click();
    await page.locator("#vision-output", { hasText: "Found 1 × square." }).waitFor();
    // The fake answers one box at x 0.1–0.5, y 0.2–0.6: its edge is drawn, a far corner is not.
    const alpha = (x: number, y: number): Promise<number> =>
      page.evaluate(`(() => {
        const canvas = document.querySelector(".stage-overlay");
        const pixel = canvas.getContext("2d").getImageData(Math.round(${x} * canvas.width), Math.round(${y} * canvas.height), 1, 1);
        return pixel.data[3];
      })()`);
    expect(await alpha(0.1, 0.4)).toBeGreaterThan(0);
    expect(await alpha(0.9, 0.9)).toBe(0);
  });

  it("MCP lists the server with its state, and its tools on demand", async () => {
    await page.goto(`${station.url}/#/mcp`);
    const server = page.locator("article.server", { has: page.getByRole("heading", { name: "calc" }) });
    await server.locator(".badge", { hasText: "connected" }).waitFor();
    await server.getByText("Tools (1)").click();
    await server.getByText("calc__add").waitFor();
    await server.getByText("Add two numbers").waitFor();
  });

  it("Queue submits a caption job and shows it run to completion", async () => {
    await page.goto(`${station.url}/#/queue`);
    await page.setInputFiles("#queue-image", {
      name: "blue.png",
      mimeType: "image/png",
      buffer: await solidPng(64, 48, { r: 0, g: 0, b: 255 }),
    });
    await page.getByRole("button", { name: "Queue caption job" }).click();
    const job = page.locator(".job").first();
    await job.locator(".badge", { hasText: "completed" }).waitFor();
    expect(await job.locator(".job-caption").textContent()).toBe(captionFor("normal", 64, 48));
  });

  it("ran without a script error or a CSP violation", () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it("Chat renders a list that follows a line of text (no blank line between)", async () => {
    upstream.script({ text: "Do this:\n1. first step\n2. second step\nThen:\n- one thing\n- another", chunkSize: 7 });
    try {
      await sendChat("openai/gpt-test", "Give me steps");
      const answer = page.locator(".message-assistant").last();
      await answer.locator("ol > li", { hasText: "second step" }).waitFor();
      expect(await answer.locator("ol > li").allTextContents()).toEqual(["first step", "second step"]);
      expect(await answer.locator("ul > li").allTextContents()).toEqual(["one thing", "another"]);
      expect(await answer.locator("p").allTextContents()).toEqual(expect.arrayContaining(["Do this:", "Then:"]));
    } finally {
      upstream.script({ text: streamedAnswer, chunkSize: 3 });
    }
  });

  it("an error banner goes away when the user changes view", async () => {
    await sendChat("nosuchprovider/nosuchmodel", "hello?");
    const notices = page.locator("#notices");
    await notices.getByText(/Chat:/).waitFor();
    await page.getByRole("link", { name: "Models", exact: true }).click();
    await page.waitForURL(/#\/models$/);
    // The URL changes before the hashchange event runs its listeners: wait for the banner to go.
    await notices.getByText(/Chat:/).waitFor({ state: "detached" });
    expect(await notices.locator("*").count()).toBe(0);
  });
});

describe("web UI with API keys", () => {
  let station: TestStation;
  let browser: Browser;

  beforeAll(async () => {
    station = await startTestStation({
      providers: [createScriptedChatProvider("scripted", () => ({ text: "hi" }))],
      config: { server: { apiKeys: ["browser-key"] } },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await station?.close();
  });

  it("asks for the key, keeps it, and sends it on every call", async () => {
    const page = await browser.newPage();
    await page.goto(`${station.url}/#/models`);
    const dialog = page.getByRole("dialog", { name: "API key" });
    await dialog.waitFor();
    await dialog.getByLabel("Key").fill("browser-key");
    await dialog.getByRole("button", { name: "Save" }).click();
    await page.getByRole("cell", { name: "scripted/scripted" }).waitFor();
    expect(await page.evaluate(`localStorage.getItem("station.apiKey")`)).toBe("browser-key");
    // A reload goes straight in with the stored key.
    await page.reload();
    await page.getByRole("cell", { name: "scripted/scripted" }).waitFor();
    expect(await dialog.isVisible()).toBe(false);
  });
});
