import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load-config.ts";
import type { StationConfig } from "../src/config/schema.ts";

const readme = readFileSync(path.resolve(import.meta.dirname, "../README.md"), "utf8");
const directory = mkdtempSync(path.join(tmpdir(), "station-readme-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

interface Block {
  line: number;
  language: string;
  text: string;
}

/** Every fenced YAML/JSON block. `jsonc` blocks are API replies with comments, not config files. */
function configBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(yaml|yml|json)\s*$/.exec(lines[index] ?? "");
    if (open === null) continue;
    const start = index;
    const body: string[] = [];
    while (++index < lines.length && !(lines[index] ?? "").startsWith("```")) body.push(lines[index] ?? "");
    blocks.push({ line: start + 1, language: open[1] ?? "yaml", text: body.join("\n") });
  }
  return blocks;
}

/** Provider ids that a block's `defaults` and route targets name (`<providerId>/<model>`) but do not configure. */
function unknownProviders(config: StationConfig, text: string): string[] {
  if (!/^providers:/m.test(text)) return []; // a fragment about one section: its models live elsewhere
  const providers = new Set((config.providers ?? []).map((provider) => provider.id));
  const routes = new Set(config.routes.map((route) => route.model));
  const references = [
    ...Object.values(config.defaults ?? {}).filter((value): value is string => typeof value === "string"),
    ...config.routes.flatMap((route) => route.targets.map((target) => (typeof target === "string" ? target : target.model))),
  ];
  return references.filter((reference) => !routes.has(reference) && !providers.has(reference.split("/")[0] ?? ""));
}

function load(block: Block, environment: NodeJS.ProcessEnv) {
  const file = path.join(directory, `readme-${block.line}.${block.language === "json" ? "json" : "yaml"}`);
  writeFileSync(file, block.text);
  return loadConfig({ config: file }, environment).config;
}

const blocks = configBlocks(readme);

describe("README.md's config examples", () => {
  it("has config blocks to check", () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it("the main example loads with no environment variables set (the file people copy first)", () => {
    const main = blocks[0]!;
    expect(main.text).toMatch(/^server:/);
    const config = load(main, {});
    expect(unknownProviders(config, main.text)).toEqual([]);
  });

  for (const block of blocks) {
    it(`the ${block.language} block at README.md:${block.line} loads through the config loader`, () => {
      // Each variable it names is set, as someone using that example would have it.
      const environment = Object.fromEntries(
        [...block.text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => [match[1], "x-value"]),
      );
      const config = load(block, environment);
      expect(unknownProviders(config, block.text)).toEqual([]);
    });
  }
});
