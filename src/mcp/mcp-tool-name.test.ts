import { describe, expect, it } from "vitest";
import { namespaceToolName, toolNamePattern } from "./mcp-tool-name.ts";

describe("namespaceToolName", () => {
  it("prefixes the server id and keeps OpenAI-safe characters", () => {
    expect(namespaceToolName("files", "read_file")).toBe("files__read_file");
    expect(namespaceToolName("everything", "get-sum")).toBe("everything__get-sum");
    expect(namespaceToolName("web", "search.query/v2")).toBe("web__search_query_v2");
  });

  it("shortens long names to 64 characters with a stable hash", () => {
    const name = namespaceToolName("a-very-long-server-identifier", "and_an_even_longer_tool_name_that_goes_on_and_on_forever");
    expect(name).toMatch(toolNamePattern);
    expect(name).toHaveLength(64);
    expect(namespaceToolName("a-very-long-server-identifier", "and_an_even_longer_tool_name_that_goes_on_and_on_forever")).toBe(name);
  });

  it("never hands out a name that is already taken", () => {
    // "x.y" and "x_y" sanitise to the same text; the second one gets a suffix.
    const first = namespaceToolName("srv", "x.y");
    const second = namespaceToolName("srv", "x_y", new Set([first]));
    expect(first).toBe("srv__x_y");
    expect(second).not.toBe(first);
    expect(second).toMatch(toolNamePattern);
    expect(second.startsWith("srv__x_y_")).toBe(true);
  });

  it("keeps unicode tool names valid", () => {
    expect(namespaceToolName("srv", "météo")).toMatch(toolNamePattern);
  });
});
