import type { ChatCore } from "../chat-core/create-chat-core.ts";

/**
 * A model id, route or bare name that can chat, as the id to call; model_not_found (404) or
 * unsupported (400) otherwise. A vision-only model (a local Florence-2) is accepted too: a realtime
 * session's turns carry camera frames, which such a model answers (a turn without one fails alone).
 */
export async function resolveChatModel(core: ChatCore, requested: string): Promise<{ id: string }> {
  const { resolved } = await core.resolve(requested, "session.model", { imageTurns: true });
  // A bare name resolved to "<provider>/<model>"; a route stays a route.
  return { id: resolved.info?.id ?? resolved.id };
}
