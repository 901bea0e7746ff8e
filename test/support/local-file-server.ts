import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FileServer {
  url: string;
  /** Headers of every request received, in order. */
  requests: { url: string; headers: IncomingHttpHeaders }[];
  /** The next response (of `onlyPath`, if given) sends only this many body bytes, then drops the connection. */
  cutNextAfter(bytes: number, onlyPath?: string): void;
  close(): Promise<void>;
}

/**
 * Serves files like a static host / Hugging Face's resolve endpoint: Content-Length,
 * single-range requests (206 + Content-Range, 416 when past the end), 404 otherwise.
 */
export async function startFileServer(
  files: Record<string, Buffer>,
  options: {
    /** Paths that answer 401 (as Hugging Face's gated repos do) unless sent `Authorization: Bearer <token>`. */ gated?: Record<
      string,
      string
    >;
  } = {},
): Promise<FileServer> {
  const requests: FileServer["requests"] = [];
  let cutAfter: number | undefined;
  let cutPath: string | undefined;
  const server: Server = createServer((request, response) => {
    requests.push({ url: request.url ?? "", headers: request.headers });
    const filePath = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    const token = options.gated?.[filePath];
    if (token !== undefined && request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { "content-type": "text/plain" }).end("Access to this model is restricted.");
      return;
    }
    const file = files[filePath];
    if (file === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    if (range !== null) {
      start = Number(range[1]);
      if (start >= file.length) {
        response.writeHead(416, { "content-range": `bytes */${file.length}` }).end();
        return;
      }
      response.writeHead(206, {
        "content-length": String(file.length - start),
        "content-range": `bytes ${start}-${file.length - 1}/${file.length}`,
        "accept-ranges": "bytes",
      });
    } else {
      response.writeHead(200, { "content-length": String(file.length), "accept-ranges": "bytes" });
    }
    const body = file.subarray(start);
    const cut = cutPath === undefined || cutPath === filePath ? cutAfter : undefined;
    if (cut !== undefined) {
      cutAfter = undefined;
      cutPath = undefined;
    }
    if (cut === undefined) {
      response.end(body);
      return;
    }
    response.write(body.subarray(0, cut), () => {
      response.socket?.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutNextAfter(bytes, onlyPath) {
      cutAfter = bytes;
      cutPath = onlyPath;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
