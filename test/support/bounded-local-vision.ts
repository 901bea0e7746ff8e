import { expect } from "vitest";
import type { residencyProbe } from "./residency-probe.ts";

/**
 * A local-vision provider bounded to 1 running and 1 waiting request, with one attempt per call
 * and a breaker that never opens, so that a 503 is the bound's and nothing else's.
 */
export function boundedLocalVision(maxNewTokens: number) {
  return {
    id: "vision",
    type: "local-vision",
    parallelRequests: 1,
    maxQueue: 1,
    maxNewTokens,
    retry: { attempts: 1 },
    cooldown: { minimumCalls: 1000 },
  };
}

/**
 * Against a boundedLocalVision: two streamed captions from a model that never stops fill the
 * bound (one generating, one waiting), a third request is refused with 503 busy and
 * Retry-After 1; aborting both clients frees the model (nothing busy, nothing waiting).
 */
export async function expectBusyPastTheBound(
  { post, ps, until }: ReturnType<typeof residencyProbe>,
  endlessModel: string,
  imageUrl: string,
): Promise<void> {
  const controllers = [new AbortController(), new AbortController()];
  const streaming = (controller: AbortController) =>
    post("/v1/caption", { image_url: imageUrl, model: endlessModel, stream: true }, controller.signal).catch(() => undefined);
  const first = streaming(controllers[0] as AbortController);
  await until(async () => (await ps(endlessModel))?.sequences.busy === 1, "one request generating");
  const second = streaming(controllers[1] as AbortController);
  await until(async () => (await ps(endlessModel))?.sequences.waiting === 1, "one request waiting");

  const rejected = await post("/v1/caption", { image_url: imageUrl, model: endlessModel });
  expect(rejected.status).toBe(503);
  expect(rejected.headers.get("retry-after")).toBe("1");
  expect(((await rejected.json()) as { error: { code: string } }).error.code).toBe("busy");

  for (const controller of controllers) controller.abort();
  await Promise.all([first, second]);
  await until(async () => {
    const model = await ps(endlessModel);
    return model?.sequences.busy === 0 && model.sequences.waiting === 0;
  }, "aborted requests release the model");
}
