import { errors } from "../../errors/errors.ts";
import type { VisionModel } from "../spec/vision-model.ts";

/**
 * A vision model whose engine is known only once the model's files are looked at (a Hugging Face
 * directory or a Moondream `.mf` of that name): each call resolves it, then delegates.
 */
export function createDeferredVisionModel(id: string, resolve: () => Promise<VisionModel>): VisionModel {
  return {
    id,
    async *caption(request) {
      yield* (await resolve()).caption(request);
    },
    async *query(request) {
      yield* (await resolve()).query(request);
    },
    async detect(request) {
      const model = await resolve();
      if (model.detect === undefined) throw errors.unsupported(`The model '${id}' cannot detect`, "model");
      return model.detect(request);
    },
    async point(request) {
      const model = await resolve();
      if (model.point === undefined) throw errors.unsupported(`The model '${id}' cannot point`, "model");
      return model.point(request);
    },
    async readText(request) {
      const model = await resolve();
      if (model.readText === undefined) throw errors.unsupported(`The model '${id}' cannot read text`, "model");
      return model.readText(request);
    },
  };
}
