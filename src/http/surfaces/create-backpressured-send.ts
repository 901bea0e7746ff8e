/** The part of a `ws` WebSocket that backpressure needs. */
export interface BackpressureSocket {
  readonly bufferedAmount: number;
  send(data: string, callback: (error?: Error) => void): void;
  pause(): void;
  resume(): void;
}

/**
 * Sends on a WebSocket, and stops reading the client's messages while more than `highWaterBytes`
 * of answers wait to go out. Every message gets an answer (at least an `error` event), so a
 * client that sends without reading would otherwise make the server buffer without bound; paused,
 * its own sends back up in TCP instead. Reading resumes once the backlog has gone out.
 */
export function createBackpressuredSend(socket: BackpressureSocket, highWaterBytes: number): (data: string) => void {
  let paused = false;
  const resumeWhenDrained = (): void => {
    if (paused && socket.bufferedAmount <= highWaterBytes) {
      paused = false;
      socket.resume();
    }
  };
  return (data) => {
    socket.send(data, resumeWhenDrained);
    if (!paused && socket.bufferedAmount > highWaterBytes) {
      paused = true;
      socket.pause();
    }
  };
}
