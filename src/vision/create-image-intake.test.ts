import { afterAll, describe, expect, it } from "vitest";
import { pngBomb, rotatedJpeg, solidPng, toDataUrl, truncatedPng } from "../../test/support/vision-images.ts";
import { isStationError } from "../errors/station-error.ts";
import { createImageIntake } from "./create-image-intake.ts";

const vision = { maxImageBytes: 5 * 1024 * 1024, maxPixels: 50_000_000, fetchTimeoutMs: 2000, cacheEntries: 16 };
const intake = createImageIntake({ vision, allowPrivateNetworks: false });
afterAll(() => intake.close());

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return isStationError(error) ? `${error.status} ${error.code}` : `unexpected: ${String(error)}`;
  }
}

describe("createImageIntake", () => {
  it("accepts data URLs and bare base64 of the same image, hashing the bytes", async () => {
    const png = await solidPng(64, 48);
    const fromDataUrl = await intake.fromReference(toDataUrl(png));
    const fromBase64 = await intake.fromReference(png.toString("base64"));
    expect(fromDataUrl).toMatchObject({ width: 64, height: 48, sourceFormat: "png", part: { type: "image", mediaType: "image/jpeg" } });
    expect(fromBase64.contentHash).toBe(fromDataUrl.contentHash);
  });

  it("reuses the prepared image for repeated bytes (the encoding cache)", async () => {
    const png = await solidPng(300, 200, { r: 9, g: 9, b: 9 });
    const hitsBefore = intake.cache.hits;
    const first = await intake.fromBytes(png);
    const second = await intake.fromBytes(png);
    expect(second).toBe(first);
    expect(intake.cache.hits).toBe(hitsBefore + 1);
  });

  it("applies EXIF orientation and bounds the longest side", async () => {
    const oriented = await intake.fromBytes(await rotatedJpeg(80, 40));
    expect([oriented.width, oriented.height]).toEqual([40, 80]);
    const big = await intake.fromBytes(await solidPng(4000, 1000));
    expect([big.width, big.height]).toEqual([2048, 512]);
  });

  it("refuses empty, truncated, non-image, oversized and bomb inputs with clear codes", async () => {
    expect(await failure(intake.fromBytes(new Uint8Array()))).toBe("400 invalid_image");
    expect(await failure(intake.fromBytes(await truncatedPng()))).toBe("400 invalid_image");
    expect(await failure(intake.fromBytes(Buffer.from("hello, I am a text file\n")))).toBe("400 invalid_image");
    expect(await failure(intake.fromBytes(pngBomb()))).toBe("400 image_too_large");
    expect(await failure(intake.fromBytes(Buffer.alloc(6 * 1024 * 1024, 1)))).toBe("413 image_too_large");
    expect(await failure(intake.fromReference("data:image/png;base64,@@@not base64@@@"))).toBe("400 invalid_image");
    expect(await failure(intake.fromReference("ftp://example.com/cat.png"))).toBe("400 invalid_image");
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    expect(await failure(intake.fromBytes(svg))).toBe("400 unsupported_image_format");
  });

  it("refuses URLs to private addresses before fetching", async () => {
    expect(await failure(intake.fromReference("http://127.0.0.1:9/cat.png"))).toBe("400 url_not_allowed");
    expect(await failure(intake.fromReference("http://169.254.169.254/latest/meta-data"))).toBe("400 url_not_allowed");
  });
});
