import { describe, expect, it } from "vitest";
import { type ResponseItem, toInputItems, toInputMessages } from "./response-items.ts";

const message = (role: string, content: unknown[]): ResponseItem => ({ id: "msg_1", type: "message", role, status: "completed", content });

describe("toInputMessages", () => {
  it("makes a string input one user turn, and one text part plain text", () => {
    expect(toInputMessages(toInputItems("hello"))).toEqual([{ role: "user", content: "hello" }]);
    expect(toInputMessages([message("assistant", [{ type: "output_text", text: "earlier" }])])).toEqual([
      { role: "assistant", content: "earlier" },
    ]);
    expect(toInputMessages([message("developer", [{ type: "input_text" }])])).toEqual([{ role: "system", content: "" }]);
  });

  it("joins text and refusal parts, and keeps parts with their params when there is an image", () => {
    expect(
      toInputMessages([
        message("assistant", [
          { type: "output_text", text: "a" },
          { type: "refusal", refusal: "b" },
        ]),
      ]),
    ).toEqual([{ role: "assistant", content: "ab" }]);
    const call: ResponseItem = { id: "fc_1", type: "function_call", call_id: "c1", name: "f", arguments: "{}" };
    expect(
      toInputMessages([
        call,
        message("user", [
          { type: "input_text", text: "look" },
          { type: "input_image", image_url: "data:image/png;base64,AAAA" },
        ]),
      ]),
    ).toEqual([
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "f", arguments: "{}" }] },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image-reference", url: "data:image/png;base64,AAAA", param: "input[1].content[1].image_url" },
        ],
      },
    ]);
  });

  it("names the part of an input_image given as file_id", () => {
    expect(() =>
      toInputMessages([message("user", [{ type: "input_text", text: "x" }]), message("user", [{ type: "input_image", file_id: "f" }])]),
    ).toThrow(expect.objectContaining({ param: "input[1].content[0]" }));
  });
});
