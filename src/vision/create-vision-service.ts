import type { StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import { StationError } from "../errors/station-error.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { VisionModel } from "../providers/spec/vision-model.ts";
import { cannotLocate, createChatVisionModel } from "./create-chat-vision-model.ts";
import type { ImageIntake } from "./create-image-intake.ts";
import { ocrOnlyReplyHint } from "./no-caption-model-hint.ts";
import type { VisionModelDescription, VisionService } from "./vision-service.ts";

export interface VisionServiceOptions {
  config: StationConfig;
  registry: ModelRegistry;
  intake: ImageIntake;
}

export function createVisionService(options: VisionServiceOptions): VisionService {
  const { registry, intake } = options;

  const defaultModelId = (): string | undefined => {
    if (options.config.defaults.visionModel !== undefined) return options.config.defaults.visionModel;
    const models = registry.list();
    // A local vision model (in-process, no other server) answers first; then any vision model; then OCR.
    const local = models.find(
      (model) => model.capabilities.includes("vision") && registry.provider(model.providerId)?.type === "local-vision",
    );
    return (
      local?.id ??
      models.find((model) => model.capabilities.includes("vision"))?.id ??
      models.find((model) => model.capabilities.includes("ocr"))?.id
    );
  };

  const resolve = (requested: string | undefined): { model: VisionModel; description: VisionModelDescription } => {
    const id = requested ?? defaultModelId();
    if (id === undefined) {
      throw new StationError({
        code: "no_vision_model",
        status: 503,
        message: "No vision model is configured. Add a provider with a vision model (e.g. type 'moondream'), or set defaults.visionModel.",
      });
    }
    const info = registry.get(id);
    const native = registry.visionModel(id);
    if (native !== undefined) {
      const capabilities: VisionModelDescription["capabilities"] = ["caption", "query"];
      // A listed vision model's own capabilities decide: a local model's engine is known only once
      // its files are read, so its vision model has detect, point and readText methods that may
      // answer 400. A listing without them (a model whose files are broken) leaves it to the call (422).
      const listed = (capability: "detect" | "point" | "ocr") =>
        info === undefined || !info.capabilities.includes("vision") || info.capabilities.includes(capability);
      if (native.detect !== undefined && listed("detect")) capabilities.push("detect");
      if (native.point !== undefined && listed("point")) capabilities.push("point");
      if (native.readText !== undefined && listed("ocr")) capabilities.push("read_text");
      const hint = ocrOnlyReplyHint(info, registry.list());
      return {
        model: native,
        description: { id, kind: "native", capabilities, ...(info === undefined ? {} : { info }), ...(hint === undefined ? {} : { hint }) },
      };
    }
    if (info !== undefined && !info.capabilities.includes("vision")) {
      throw errors.unsupported(`The model '${id}' cannot see images (it has no 'vision' capability)`, "model");
    }
    const canLocate = info?.capabilities.includes("detect") === true || info?.capabilities.includes("point") === true;
    const model = createChatVisionModel(registry.chatModel(id), { canLocate });
    const capabilities: VisionModelDescription["capabilities"] = ["caption", "query"];
    if (info?.capabilities.includes("detect")) capabilities.push("detect");
    if (info?.capabilities.includes("point")) capabilities.push("point");
    return { model, description: { id, kind: "chat", capabilities, ...(info === undefined ? {} : { info }) } };
  };

  return {
    intake,
    defaultModelId,
    describe: (model) => resolve(model).description,
    caption(call) {
      const { model, description } = resolve(call.model);
      return model.caption({
        model: description.id,
        image: call.image.part,
        contentHash: call.image.contentHash,
        length: call.length,
        signal: call.signal,
      });
    },
    query(call) {
      const { model, description } = resolve(call.model);
      return model.query({
        model: description.id,
        image: call.image.part,
        contentHash: call.image.contentHash,
        question: call.question,
        ...(call.reasoning === undefined ? {} : { reasoning: call.reasoning }),
        signal: call.signal,
      });
    },
    async detect(call) {
      const { model, description } = resolve(call.model);
      if (model.detect === undefined || !description.capabilities.includes("detect")) throw cannotLocate(description.id, "detect");
      return model.detect({
        model: description.id,
        image: call.image.part,
        contentHash: call.image.contentHash,
        object: call.object,
        signal: call.signal,
      });
    },
    async point(call) {
      const { model, description } = resolve(call.model);
      if (model.point === undefined || !description.capabilities.includes("point")) throw cannotLocate(description.id, "point");
      return model.point({
        model: description.id,
        image: call.image.part,
        contentHash: call.image.contentHash,
        object: call.object,
        signal: call.signal,
      });
    },
    close: () => intake.close(),
  };
}
