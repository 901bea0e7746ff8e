import type { Cancellation } from "../../net/cancellation.ts";
import type { Provider, WholeReply } from "../../providers/spec/index.ts";

/** What an upstream answers for an id it does not hold (404), or one not in its format (400). */
const notHeld = new Set([400, 404]);

/**
 * Retrieve, delete and input_items for a response Station did not store: one a relaying upstream
 * made (relayed responses are the upstream's, stored there). Station keeps no record of which
 * provider made which id, so the providers that relay Responses are asked in configured order and
 * the first that holds it answers; a reply read whole, relayed as it is. Not a model call, so not
 * through the resilience layer: no retries, and an upstream that cannot be reached is skipped
 * (its error thrown only when no other holds the id).
 */
export async function fromRelayingUpstream(
  providers: readonly Provider[],
  method: "GET" | "DELETE",
  path: string,
  cancellation: Cancellation | undefined,
): Promise<WholeReply | undefined> {
  let unreachable: unknown;
  for (const provider of providers) {
    const passthrough = provider.responsesPassthrough;
    if (passthrough === undefined) continue;
    let reply: WholeReply;
    try {
      reply = await passthrough.read(method, path, cancellation);
    } catch (error) {
      if (cancellation?.aborted === true) throw error;
      unreachable ??= error;
      continue;
    }
    if (reply.statusCode < 300) return reply;
    if (!notHeld.has(reply.statusCode)) throw passthrough.replyError(reply, path);
  }
  if (unreachable !== undefined) throw unreachable;
  return undefined;
}
