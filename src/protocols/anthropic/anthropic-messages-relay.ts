import type { RelayProtocol } from "../../chat-core/body-relay.ts";

/**
 * Anthropic Messages' relay: to providers that speak it natively (type `anthropic`), the client's
 * body with only `model` rewritten and the upstream's bytes back. A request carrying images is
 * translated instead, so every image goes through the core's intake (limits, re-encoding, OCR
 * for a model that cannot see) before any upstream sees it.
 */
export const anthropicMessagesRelay: RelayProtocol<{ model?: string | undefined }> = {
  path: "/messages",
  passthroughOf: (provider, images) => (images === undefined ? provider.anthropicPassthrough : undefined),
};
