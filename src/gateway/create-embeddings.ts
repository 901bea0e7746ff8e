import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { EmbeddingsBody } from "./openai-schemas.ts";

/**
 * POST /v1/embeddings. Upstreams are always asked for floats (not every server can encode
 * base64); Station encodes base64 itself — little-endian float32, as OpenAI does and as the
 * official client (which asks for base64 by default) decodes.
 */
export function createEmbeddings(registry: ModelRegistry, defaultModel: string | undefined) {
  return async function embeddings(body: EmbeddingsBody, signal: AbortSignal): Promise<Record<string, unknown>> {
    const modelId = body.model ?? defaultModel;
    if (modelId === undefined) throw errors.invalidRequest("'model' is required (and no defaults.embeddingModel is configured)", "model");
    const input = typeof body.input === "string" ? [body.input] : body.input;
    if (input.some((item) => typeof item !== "string")) {
      throw errors.unsupported("Token-array input is not supported: send strings", "input");
    }
    const texts = input as string[];
    const resolved = await registry.resolve(modelId);
    const capabilities = resolved.info?.capabilities;
    if (capabilities !== undefined && capabilities.length > 0 && !capabilities.includes("embeddings")) {
      throw errors.unsupported(`The model '${modelId}' cannot make embeddings (it offers: ${capabilities.join(", ")})`, "model");
    }
    const delivered = await registry.call(
      resolved.targets,
      (target, _remainingMs, call) => {
        const model = target.provider.embeddingModel?.(target.modelName);
        if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot make embeddings`, "model");
        return model.embed({
          model: target.modelName,
          input: texts,
          signal: call.signal,
          ...(body.dimensions === undefined ? {} : { dimensions: body.dimensions }),
        });
      },
      { operation: "embeddings", signal },
    );
    delivered.done();
    const result = delivered.value;
    const base64 = body.encoding_format === "base64";
    return {
      object: "list",
      data: result.embeddings.map((vector, index) => ({
        object: "embedding",
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
      })),
      model: modelId,
      usage: { prompt_tokens: result.usage?.promptTokens ?? 0, total_tokens: result.usage?.totalTokens ?? 0 },
    };
  };
}
