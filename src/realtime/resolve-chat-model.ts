import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";

export interface ResolvedChatModel {
  /** The id to call (a bare name resolved to "<provider>/<model>"; a route stays a route). */
  id: string;
  /** Unknown capabilities count as seeing: the provider will say so if it cannot. */
  canSee: boolean;
}

/** A model id, route or bare name that can chat; model_not_found (404) or unsupported (400) otherwise. */
export async function resolveChatModel(registry: ModelRegistry, requested: string): Promise<ResolvedChatModel> {
  const resolved = registry.lookup(requested) ?? (await registry.resolve(requested));
  const capabilities = resolved.info?.capabilities;
  if (capabilities !== undefined && capabilities.length > 0 && !capabilities.includes("chat")) {
    throw errors.unsupported(`The model '${requested}' cannot chat (it offers: ${capabilities.join(", ")})`, "session.model");
  }
  return { id: resolved.info?.id ?? resolved.id, canSee: capabilities?.includes("vision") ?? true };
}
