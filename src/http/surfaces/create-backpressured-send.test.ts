import { describe, expect, it } from "vitest";
import { type BackpressureSocket, createBackpressuredSend } from "./create-backpressured-send.ts";

/** A socket whose writes complete only when `flush()` says so. */
function fakeSocket() {
  const waiting: { bytes: number; callback: () => void }[] = [];
  const calls: string[] = [];
  const socket: BackpressureSocket = {
    get bufferedAmount() {
      return waiting.reduce((sum, write) => sum + write.bytes, 0);
    },
    send(data, callback) {
      waiting.push({ bytes: data.length, callback: () => callback() });
    },
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
  };
  const flush = (count = waiting.length) => {
    for (const write of waiting.splice(0, count)) write.callback();
  };
  return { socket, calls, flush };
}

describe("createBackpressuredSend", () => {
  it("stops reading while the backlog is over the mark, and reads again once it has gone out", () => {
    const { socket, calls, flush } = fakeSocket();
    const send = createBackpressuredSend(socket, 100);
    send("x".repeat(60));
    expect(calls).toEqual([]);
    send("x".repeat(60));
    expect(calls).toEqual(["pause"]);
    send("x".repeat(60));
    expect(calls).toEqual(["pause"]);
    flush(1);
    expect(calls).toEqual(["pause"]);
    flush(1);
    expect(calls).toEqual(["pause", "resume"]);
    flush();
    expect(calls).toEqual(["pause", "resume"]);
    send("x".repeat(200));
    expect(calls).toEqual(["pause", "resume", "pause"]);
    flush();
    expect(calls).toEqual(["pause", "resume", "pause", "resume"]);
  });
});
