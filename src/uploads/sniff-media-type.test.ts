import { describe, expect, it } from "vitest";
import { sniffMediaType } from "./sniff-media-type.ts";

const bytes = (...values: (number | string)[]) =>
  new Uint8Array(values.flatMap((value) => (typeof value === "string" ? [...value].map((character) => character.charCodeAt(0)) : [value])));

describe("sniffMediaType", () => {
  it("recognises images by their magic bytes, whatever the file name says", () => {
    expect(sniffMediaType(bytes(0x89, "PNG", 0x0d, 0x0a, 0x1a, 0x0a, 0, 0), "photo.txt")).toBe("image/png");
    expect(sniffMediaType(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0))).toBe("image/jpeg");
    expect(sniffMediaType(bytes("GIF89a", 1, 0))).toBe("image/gif");
    expect(sniffMediaType(bytes("RIFF", 0, 0, 0, 0, "WEBPVP8 "))).toBe("image/webp");
    expect(sniffMediaType(bytes("%PDF-1.7\n"))).toBe("application/pdf");
  });

  it("types text as plain text, never as HTML or SVG", () => {
    expect(sniffMediaType(bytes("<html><script>alert(1)</script></html>"), "page.html")).toBe("text/plain; charset=utf-8");
    expect(sniffMediaType(bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'), "logo.svg")).toBe("text/plain; charset=utf-8");
    expect(sniffMediaType(bytes('{"a": 1}'))).toBe("application/json; charset=utf-8");
    expect(sniffMediaType(bytes("# Title"), "README.md")).toBe("text/markdown; charset=utf-8");
  });

  it("falls back to octet-stream for unknown binary", () => {
    expect(sniffMediaType(bytes(0, 1, 2, 3, 0xfe))).toBe("application/octet-stream");
    expect(sniffMediaType(bytes(0xc3, 0x28))).toBe("application/octet-stream");
  });
});
