/** One event of a streamed pull (SSE `event:` + `data:`), its data parsed. */
export interface PullEvent {
  type: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: each event type has its own fields; the tests read the ones they check
  data: any;
}

/** POST /v1/system/models/pull for one model URI; `stream: false` answers one JSON body instead of events. */
export function postModelPull(stationUrl: string, model: string, options: { stream?: boolean } = {}): Promise<Response> {
  return fetch(`${stationUrl}/v1/system/models/pull`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(options.stream === false ? { model, stream: false } : { model }),
  });
}

/** A streamed pull's events, in order (read to the end). */
export async function pullEvents(response: Response): Promise<PullEvent[]> {
  return (await response.text())
    .split("\n\n")
    .filter((block) => block.startsWith("event:"))
    .map((block) => ({ type: /^event: (.+)$/m.exec(block)?.[1], data: JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? "null") }));
}
