import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { launchChromium } from "../support/launch-chromium.ts";
import { createInMemoryMcpServer, waitUntil } from "../support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { makeTestCertificate } from "../support/test-certificate.ts";
import { writeTinyMoonshine } from "../support/tiny-moonshine.ts";
import { writeTinyVits } from "../support/tiny-vits.ts";
import { watchPageProblems } from "../support/watch-page-problems.ts";

const reply = "The sum is 42.";

/**
 * The Voice view in a real headless Chromium whose microphone is Chromium's fake capture device
 * playing a WAV spoken by espeak-ng, against a Station with local models only: the tiny
 * random-weight Moonshine transcribes (scripted to say "hello station"), a scripted chat model
 * calls an MCP tool and answers, the tiny VITS speaks the answer. Everything the page shows
 * comes through /v1/realtime in OpenAI's protocol; every wait is for an element or a value.
 */
describe("web UI: the Voice view", () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "station-voice-ui-"));
  const speechFile = path.join(workDir, "speech.wav");
  let station: TestStation;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  const calculator = createCalculator();
  const chat = createScriptedChatProvider("fake", (request) => {
    const last = lastMessage(request);
    if (last?.role === "tool") return { text: `The sum is ${textOf(last)}.` };
    if (textOf(last).startsWith("hang")) return { text: "Let me think about that for a very long time. ", hangAfterText: true };
    return { toolCalls: [{ name: "calc__add", arguments: { a: 2, b: 40 } }] };
  });

  beforeAll(async () => {
    const dataDir = writeSpeechModels(workDir);
    writeSpeechFile(workDir, speechFile);
    station = await startTestStation({
      dataDir,
      config: {
        // station.test: a name that is not loopback, for the insecure-context case.
        server: { allowedHosts: ["station.test"] },
        providers: [{ id: "speech", type: "local-speech" }],
        defaults: { chatModel: "fake/scripted" },
      },
      providers: [chat],
      mcpServers: [calculator.definition],
    });
    await waitUntil(() => station.station.mcp.catalog().length === 1, "the calc tool");
    browser = await launchChromium(fakeMicrophone(speechFile));
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watchPageProblems(page, pageErrors, cspViolations);
  });

  afterAll(async () => {
    await browser?.close();
    await station?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("press to talk: the microphone's speech is transcribed, the tool call is shown, the reply is written and played", async () => {
    await page.goto(`${station.url}/#/voice`);
    await startSession(page);
    expect(await page.locator("#voice-session").textContent()).toMatch(/speech to text speech\/tiny-moonshine · spoken replies/);
    await holdToTalk(page);
    const said = page.locator('.message-user[data-state="transcribed"]');
    await said.waitFor({ timeout: 30_000 });
    expect(await said.textContent()).toBe("hello station");
    // The chat model heard the transcript of the browser's audio.
    expect(textOf(chat.requests[0]?.messages.findLast((message) => message.role === "user"))).toBe("hello station");
    await expectSpokenAnswerWithTool(page);
    // The conversation is kept in the Chat view's history: the transcript, the tool call, the reply.
    await page.locator("#voice-session[data-chat-session]").waitFor({ timeout: 30_000 });
    const sessionId = await page.locator("#voice-session").getAttribute("data-chat-session");
    const stored = (await (await fetch(`${station.url}/api/chat/session/${sessionId}`)).json()) as {
      client_id: string;
      messages: { role: string; content: string }[];
    };
    expect(stored.messages.filter((message) => message.role !== "tool").map((message) => [message.role, message.content])).toEqual([
      ["user", "hello station"],
      ["assistant", ""],
      ["assistant", reply],
    ]);
  }, 120_000);

  it("hands-free: Station's voice-activity detection finds the turn in the microphone's audio and answers it", async () => {
    const before = chat.requests.length;
    await page.getByLabel("Hands-free").check();
    await page.locator("#voice-status").getByText("Listening: just talk.").waitFor();
    expect(await page.locator("#voice-talk").isVisible()).toBe(false);
    const turns = await page.locator(".message-user").count();
    // Only real speech starts a turn: the VAD heard espeak-ng's words through the page.
    await page.locator(".message-user").nth(turns).waitFor({ timeout: 30_000 });
    await page.locator(".message-assistant").nth(turns).getByText(reply).waitFor({ timeout: 30_000 });
    expect(chat.requests.length).toBeGreaterThan(before);
    await page.getByRole("button", { name: "End", exact: true }).click();
    await page.locator("#voice-status").getByText("Not connected.").waitFor();
  }, 120_000);

  it("on a page that is not a secure context it says why there is no microphone; typed messages get spoken answers and stop a running reply", async () => {
    const insecure = await browser.newPage();
    insecure.on("pageerror", (error) => pageErrors.push(error.message));
    try {
      // station.test resolves to 127.0.0.1 (--host-resolver-rules), but over plain HTTP it is not a secure context.
      await insecure.goto(`http://station.test:${new URL(station.url).port}/#/voice`);
      await insecure.locator("#voice-mic-note").getByText("Browsers only give the microphone to secure pages").waitFor();
      await insecure.getByRole("button", { name: "Start" }).click();
      await insecure.locator("#voice-status").getByText("Connected: type a message.").waitFor({ timeout: 20_000 });
      expect(await insecure.locator("#voice-talk").isDisabled()).toBe(true);
      const aborted = chat.aborted;
      // A reply that never ends, then a question typed over it: the first is cancelled, then the question is answered.
      await insecure.getByLabel("Message").fill("hang on");
      await insecure.getByRole("button", { name: "Send" }).click();
      const first = insecure.locator(".message-assistant").first();
      await first.getByText("Let me think about that").waitFor({ timeout: 30_000 });
      await insecure.getByLabel("Message").fill("What is two plus forty?");
      await insecure.getByRole("button", { name: "Send" }).click();
      await first.getByText("stopped").waitFor({ timeout: 30_000 });
      expect(chat.aborted).toBe(aborted + 1);
      await insecure.locator(".message-user").getByText("What is two plus forty?").waitFor();
      await expectSpokenAnswerWithTool(insecure);
      expect(await insecure.locator(".message-assistant").count()).toBe(2);
      expect(await insecure.locator("#notices .notice-error").count()).toBe(0);
    } finally {
      await insecure.close();
    }
  }, 120_000);

  it("ran without a script error or a CSP violation", () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});

describe("web UI: the Voice view over HTTPS with an API key", () => {
  const certificate = makeTestCertificate();
  const workDir = mkdtempSync(path.join(tmpdir(), "station-voice-tls-"));
  const speechFile = path.join(workDir, "speech.wav");
  let station: TestStation;
  let browser: Browser;
  const chat = createScriptedChatProvider("fake", (request) => {
    const last = lastMessage(request);
    if (last?.role === "tool") return { text: `The sum is ${textOf(last)}.` };
    return { toolCalls: [{ name: "calc__add", arguments: { a: 2, b: 40 } }] };
  });

  beforeAll(async () => {
    const dataDir = writeSpeechModels(workDir);
    writeSpeechFile(workDir, speechFile);
    station = await startTestStation({
      dataDir,
      config: {
        server: { apiKeys: ["voice-key"], tls: { cert: certificate.cert, key: certificate.key }, allowedHosts: ["station.test"] },
        providers: [{ id: "speech", type: "local-speech" }],
        defaults: { chatModel: "fake/scripted" },
      },
      providers: [chat],
      mcpServers: [createCalculator().definition],
    });
    await waitUntil(() => station.station.mcp.catalog().length === 1, "the calc tool");
    browser = await launchChromium(fakeMicrophone(speechFile));
  });

  afterAll(async () => {
    await browser?.close();
    await station?.close();
    certificate.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("asks for the key, then talks (Space held) over wss:// with the key as the openai-insecure-api-key subprotocol", async () => {
    // A name that is not loopback: the microphone works because the page is HTTPS.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      expect(station.url).toMatch(/^https:/);
      await page.goto(`https://station.test:${new URL(station.url).port}/#/voice`);
      const dialog = page.getByRole("dialog", { name: "API key" });
      await dialog.getByLabel("Key").fill("voice-key");
      await dialog.getByRole("button", { name: "Save" }).click();
      expect(await page.locator("#voice-mic-note").isHidden()).toBe(true);
      await startSession(page);
      await holdToTalk(page, "keyboard");
      await page.locator('.message-user[data-state="transcribed"]', { hasText: "hello station" }).waitFor({ timeout: 30_000 });
      await expectSpokenAnswerWithTool(page);
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});

function createCalculator() {
  return createInMemoryMcpServer("calc", (server) => {
    server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
    }));
  });
}

/** The tiny Moonshine (it says "hello station" whatever it hears) and VITS in a data dir's models directory. */
function writeSpeechModels(workDir: string): string {
  const dataDir = path.join(workDir, "data");
  mkdirSync(path.join(dataDir, "models"), { recursive: true });
  writeTinyMoonshine(path.join(dataDir, "models", "tiny-moonshine"), { text: "hello station" });
  writeTinyVits(path.join(dataDir, "models", "tiny-vits"), { samplingRate: 16_000, samplesPerToken: 400 });
  return dataDir;
}

/** Half a second of silence, espeak-ng's speech, then 1.5 s of silence (Chromium plays the file in a loop). */
function writeSpeechFile(workDir: string, file: string): void {
  const spoken = path.join(workDir, "spoken.wav");
  execFileSync("espeak-ng", ["-w", spoken, "Hello station. What is two plus forty?"]);
  execFileSync("sox", [spoken, file, "pad", "0.5", "1.5"]);
}

function fakeMicrophone(speechFile: string): string[] {
  return [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    `--use-file-for-fake-audio-capture=${speechFile}`,
    "--host-resolver-rules=MAP station.test 127.0.0.1",
  ];
}

async function startSession(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Start" }).click();
  await page.locator("#voice-status").getByText("Hold the button").waitFor({ timeout: 20_000 });
}

/** Holds the talk button (with the mouse, or Space when it has the focus) until 1.5 s of microphone audio has gone to Station, then lets go. */
async function holdToTalk(page: Page, by: "mouse" | "keyboard" = "mouse"): Promise<void> {
  const talk = page.locator("#voice-talk");
  if (by === "keyboard") {
    await talk.focus();
    await page.keyboard.down("Space");
  } else {
    const box = await talk.boundingBox();
    if (box === null) throw new Error("the talk button is not on screen");
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
  }
  expect(await talk.getAttribute("aria-pressed")).toBe("true");
  await expect.poll(async () => Number(await talk.getAttribute("data-captured-ms")), { timeout: 20_000 }).toBeGreaterThanOrEqual(1500);
  if (by === "keyboard") await page.keyboard.up("Space");
  else await page.mouse.up();
  expect(await talk.getAttribute("aria-pressed")).toBe("false");
}

/** The last reply: the MCP tool call with its arguments and result, the text, and all of its audio, played. */
async function expectSpokenAnswerWithTool(page: Page): Promise<void> {
  const answer = page.locator(".message-assistant").last();
  await answer.getByText(reply).waitFor({ timeout: 30_000 });
  const tool = answer.locator(".tool-call");
  await tool.locator(".badge", { hasText: "done" }).waitFor();
  expect(await tool.locator("summary code").textContent()).toBe("calc__add");
  await tool.locator("summary").click();
  expect(await tool.locator("pre").first().textContent()).toContain('"a": 2');
  expect(await tool.locator(".tool-result pre").textContent()).toBe("42");
  // All of the VITS audio arrived ("The sum is 42.": 14 byte tokens plus <s> and </s>, 400 samples each at 16 kHz → 24 kHz PCM16), and it played.
  const audio = answer.locator(".message-audio");
  await expect.poll(() => audio.getAttribute("data-bytes"), { timeout: 30_000 }).toBe(String((14 + 2) * 400 * 2 * 1.5));
  await expect.poll(async () => Number(await audio.getAttribute("data-played-ms")), { timeout: 30_000 }).toBeGreaterThan(300);
}
