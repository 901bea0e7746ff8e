/**
 * A test client for GET /v1/realtime over a real socket (the `ws` package). Every event the
 * server sends is checked against the protocol's schema; reads go forward through the stream:
 *
 *   const client = await connectRealtime(station.url);
 *   client.send({ type: "text", text: "hi" });
 *   const events = await client.untilResponseDone();   // everything up to and including response.done
 */
import WebSocket from "ws";
import { type ServerEvent, serverEventSchema } from "../../src/realtime/realtime-protocol.ts";

export type EventOf<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

export interface RealtimeClient {
  socket: WebSocket;
  /** Every event received so far, in order. */
  events: ServerEvent[];
  send(message: unknown): void;
  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
  /** The next unread event of this type (earlier unread events of other types are skipped). */
  next<T extends ServerEvent["type"]>(type: T): Promise<EventOf<T>>;
  /** Every unread event up to and including the next one of `type`. */
  until(type: ServerEvent["type"]): Promise<ServerEvent[]>;
  untilResponseDone(): Promise<ServerEvent[]>;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<number>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  headers?: Record<string, string>;
  protocols?: string[];
}

/** Guards against a hang; no assertion depends on it. */
const deadlineMs = 20_000;

export function realtimeUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, "ws")}/v1/realtime`;
}

export async function connectRealtime(baseUrl: string, options: ConnectOptions = {}): Promise<RealtimeClient> {
  const socket = new WebSocket(realtimeUrl(baseUrl), options.protocols ?? [], { headers: options.headers ?? {} });
  const events: ServerEvent[] = [];
  let cursor = 0;
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  socket.on("message", (data, isBinary) => {
    if (isBinary) {
      failure = new Error("the server sent a binary message");
    } else {
      const parsed = serverEventSchema.safeParse(JSON.parse(data.toString()));
      if (parsed.success) events.push(parsed.data);
      else failure = new Error(`an event does not match the protocol: ${data.toString().slice(0, 500)} (${parsed.error.message})`);
    }
    wake?.();
  });
  const closed = new Promise<number>((resolve) =>
    socket.once("close", (code) => {
      resolve(code);
      wake?.();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => reject(new UnexpectedResponse(response.statusCode ?? 0, body)));
    });
  });

  const waitForEvent = async (): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event within ${deadlineMs} ms; got ${JSON.stringify(events)}`)), deadlineMs);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  };

  const read = async (match: (event: ServerEvent) => boolean): Promise<{ skipped: ServerEvent[]; event: ServerEvent }> => {
    for (;;) {
      if (failure !== undefined) throw failure;
      const index = events.findIndex((event, position) => position >= cursor && match(event));
      if (index >= 0) {
        const skipped = events.slice(cursor, index);
        cursor = index + 1;
        return { skipped, event: events[index] as ServerEvent };
      }
      if (socket.readyState === WebSocket.CLOSED) throw new Error(`the socket closed; events: ${JSON.stringify(events.slice(cursor))}`);
      await waitForEvent();
    }
  };

  const until = async (type: ServerEvent["type"]): Promise<ServerEvent[]> => {
    const { skipped, event } = await read((candidate) => candidate.type === type);
    return [...skipped, event];
  };

  return {
    socket,
    events,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    sendRaw: (data, sendOptions) => socket.send(data, { binary: sendOptions?.binary ?? false }),
    async next(type) {
      return (await read((event) => event.type === type)).event as never;
    },
    until,
    untilResponseDone: () => until("response.done"),
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) {
        socket.close();
        await closed;
      }
    },
  };
}

export class UnexpectedResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`Unexpected server response: ${status}`);
  }
}

export function ofType<T extends ServerEvent["type"]>(events: ServerEvent[], type: T): EventOf<T>[] {
  return events.filter((event): event is EventOf<T> => event.type === type);
}
