/**
 * The bench's HTTP client for POST /v1/audio/transcriptions, in a process of its own so that its
 * CPU (encoding, writing 400 kB, reading the reply) is not counted as Station's. Started with the
 * URL; reads the form (content type, body) once from the parent, answers a ping at once (the
 * harness's own cost), and answers each "go" with the request's wall time and this process's CPU
 * time for it.
 */
import http from "node:http";

const target = new URL(process.argv[2] ?? "");
const agent = new http.Agent({ keepAlive: true });
let form: { contentType: string; body: Buffer } | undefined;

const post = (contentType: string, body: Buffer) =>
  new Promise<void>((resolve, reject) => {
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        agent,
        headers: { "content-type": contentType, "content-length": body.byteLength },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}: ${Buffer.concat(chunks)}`)),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });

process.on("message", async (message: { form?: { contentType: string; body: string }; ping?: true }) => {
  if (message.ping === true) {
    process.send?.({ ready: true });
    return;
  }
  if (message.form !== undefined) {
    form = { contentType: message.form.contentType, body: Buffer.from(message.form.body, "base64") };
    process.send?.({ ready: true });
    return;
  }
  if (form === undefined) return;
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await post(form.contentType, form.body);
    const used = process.cpuUsage(cpu);
    process.send?.({ wall: performance.now() - started, cpu: (used.user + used.system) / 1000 });
  } catch (error) {
    process.send?.({ error: (error as Error).message });
  }
});
