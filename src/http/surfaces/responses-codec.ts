import type { ChatGeneration, ChatStreamRun } from "../../chat-core/chat-run.ts";
import { encodeResponsesStream } from "../../protocols/responses/encode-responses-stream.ts";
import type { ResponseItem } from "../../protocols/responses/response-items.ts";
import type { ResponseStore } from "../../protocols/responses/response-store.ts";
import { nextSequenceNumber, responsesErrorEvent } from "../../protocols/responses/responses-error-event.ts";
import type { ResponsesBody } from "../../protocols/responses/responses-schemas.ts";
import { toOutputJson, toResponseJson } from "../../protocols/responses/to-response-json.ts";
import type { ResponseState } from "../../protocols/responses/to-response-object.ts";
import type { ChatReplyCodec } from "./reply-with-chat.ts";

/** A relayed stream's error event continues the upstream's sequence numbers. */
const relayedErrorEvent = (error: unknown, tail: string): string => responsesErrorEvent(error, nextSequenceNumber(tail));

/**
 * One Responses request's codec: the core's answer as the response object (JSON, or its event
 * stream), stored unless `store: false`. A class, not closures: its methods are made once, not per
 * request.
 */
export class ResponsesCodec implements ChatReplyCodec {
  readonly errorFrame = responsesErrorEvent;
  readonly relayedErrorFrame = relayedErrorEvent;
  relay?: ChatReplyCodec["relay"];

  constructor(
    private readonly body: ResponsesBody,
    private readonly state: ResponseState,
    private readonly inputItems: ResponseItem[],
    /** Undefined with `store: false`. */
    private readonly store: ResponseStore | undefined,
  ) {}

  whole(generation: ChatGeneration): string | Promise<string> {
    const { result } = generation;
    const { state } = this;
    state.model = generation.modelId;
    state.usage = result.usage;
    state.status = result.finishReason === "length" ? "incomplete" : "completed";
    // Written as JSON text (the same bytes as the response object serialised): one text serves the store and the reply.
    const json = toResponseJson(state, this.body, toOutputJson(result));
    return this.store === undefined ? json : this.save(json).then(() => json);
  }

  stream(run: ChatStreamRun): AsyncIterable<string> {
    this.state.model = run.modelId;
    return encodeResponsesStream(run.parts, {
      body: this.body,
      state: this.state,
      onEnd: async (finished) => {
        if (this.store !== undefined) await this.save(toResponseJson(finished, this.body, JSON.stringify(finished.output)));
      },
      fail: run.done,
    });
  }

  private save(json: string): Promise<void> {
    const previousResponseId = this.body.previous_response_id ?? null;
    return (this.store as ResponseStore).save({ id: this.state.id, previousResponseId, inputItems: this.inputItems }, json);
  }
}
