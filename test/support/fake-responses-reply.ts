/**
 * What a fake upstream with OpenAI's Responses API (POST /responses) answers: the response object,
 * or its event stream byte for byte as OpenAI writes it (`event:` and `data:` lines, sequence
 * numbers, output item and content part events around the text deltas).
 */
export function fakeResponseObject(id: string, body: Record<string, unknown>, text: string, status: string): Record<string, unknown> {
  const done = status === "completed";
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model: body.model,
    output: done
      ? [
          {
            id: `msg_${id}`,
            type: "message",
            status: "completed",
            role: "assistant",
            content: [{ type: "output_text", text, annotations: [] }],
          },
        ]
      : [],
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    usage: done
      ? {
          input_tokens: 3,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 2,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 5,
        }
      : null,
    metadata: {},
  };
}

/** The stream of one text reply, `size` characters per delta. */
export function fakeResponseEvents(id: string, body: Record<string, unknown>, text: string, size: number): string[] {
  const itemId = `msg_${id}`;
  const events: Record<string, unknown>[] = [
    { type: "response.created", response: fakeResponseObject(id, body, text, "in_progress") },
    { type: "response.in_progress", response: fakeResponseObject(id, body, text, "in_progress") },
    {
      type: "response.output_item.added",
      output_index: 0,
      item: { id: itemId, type: "message", status: "in_progress", role: "assistant", content: [] },
    },
    {
      type: "response.content_part.added",
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    },
  ];
  for (let offset = 0; offset < text.length; offset += size) {
    events.push({
      type: "response.output_text.delta",
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: text.slice(offset, offset + size),
    });
  }
  events.push(
    { type: "response.output_text.done", item_id: itemId, output_index: 0, content_index: 0, text },
    {
      type: "response.content_part.done",
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text, annotations: [] },
    },
    {
      type: "response.output_item.done",
      output_index: 0,
      item: {
        id: itemId,
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text, annotations: [] }],
      },
    },
    { type: "response.completed", response: fakeResponseObject(id, body, text, "completed") },
  );
  return events.map((event, index) => `event: ${String(event.type)}\ndata: ${JSON.stringify({ ...event, sequence_number: index })}\n\n`);
}

/** A request's `input` as the input items OpenAI lists for a stored response (ids added). */
export function fakeInputItems(id: string, input: unknown): Record<string, unknown>[] {
  const items =
    typeof input === "string"
      ? [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }]
      : ((input ?? []) as Record<string, unknown>[]);
  return items.map((item, index) => ({ id: `msg_${id}_in${index}`, status: "completed", ...item }));
}
