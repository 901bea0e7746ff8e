import type { RelayProtocol } from "../../chat-core/body-relay.ts";

/**
 * OpenAI Responses' relay: to `openai` providers configured with `responses: true`, the client's
 * body with only `model` rewritten and the upstream's bytes back (the response is the upstream's:
 * Station stores nothing of it). A request carrying images is translated instead, so every image
 * goes through the core's intake before any upstream sees it.
 */
export const responsesRelay: RelayProtocol<{ model?: string | undefined }> = {
  path: "/responses",
  passthroughOf: (provider, images) => (images === undefined ? provider.responsesPassthrough : undefined),
};
