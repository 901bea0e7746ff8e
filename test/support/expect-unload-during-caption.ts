import { expect } from "vitest";
import type { residencyProbe } from "./residency-probe.ts";

/**
 * Unloads `model` while a short caption is generating on it: the unload answers at once and the
 * model leaves /v1/system/ps, yet the running caption finishes whole, as `expectedCaption`.
 * Returns when the model had been loaded, for the caller to see the next request load it afresh.
 */
export async function expectUnloadDuringCaption(
  { post, ps, until }: ReturnType<typeof residencyProbe>,
  model: string,
  imageUrl: string,
  expectedCaption: string,
): Promise<string | undefined> {
  const running = post("/v1/caption", { image_url: imageUrl, model, length: "short" });
  await until(async () => (await ps(model))?.sequences.busy === 1, "the caption generating");
  const loadedAt = (await ps(model))?.loadedAt;

  const unloaded = await post("/v1/system/models/unload", { model });
  expect(unloaded.status).toBeLessThan(300);
  expect(await ps(model)).toBeUndefined();

  const response = await running;
  expect(response.status).toBe(200);
  expect(((await response.json()) as { caption: string }).caption).toBe(expectedCaption);
  return loadedAt;
}
