import { describe, expect, it } from "vitest";
import { wordsOfWindow } from "./words-of-window.ts";

describe("wordsOfWindow", () => {
  it("offsets a window's words by its start, without their leading spaces", () => {
    expect(
      wordsOfWindow(
        [
          { text: " Hello", timestamp: [0.5, 0.9] },
          { text: " there.", timestamp: [0.9, 1.3] },
        ],
        30,
        10,
      ),
    ).toEqual([
      { word: "Hello", start: 30.5, end: 30.9 },
      { word: "there.", start: 30.9, end: 31.3 },
    ]);
  });

  it("keeps each word inside the window's audio, its end not before its start, none before the word ahead", () => {
    expect(
      wordsOfWindow(
        [
          { text: " early", timestamp: [-0.1, 0.2] },
          { text: " back", timestamp: [0.1, 0.05] },
          { text: " ", timestamp: [0.3, 0.4] },
          { text: " open", timestamp: [0.4, null] },
          { text: " late", timestamp: [2.5, 3.1] },
        ],
        0,
        2,
        0.02,
      ),
    ).toEqual([
      { word: "early", start: 0.02, end: 0.2 },
      { word: "back", start: 0.1, end: 0.1 },
      { word: "open", start: 0.4, end: 0.4 },
      { word: "late", start: 2, end: 2 },
    ]);
  });
});
