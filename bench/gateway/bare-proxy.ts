/**
 * Child process: the thinnest OpenAI forwarder Node can do, as the floor for any Node gateway:
 * Fastify + an undici Pool per upstream; parse the body, rewrite `model`, forward, relay.
 * argv: <fastUpstreamPort> <slowUpstreamPort>. Reports "ready <port>" over IPC.
 */
import Fastify from "fastify";
import { Pool } from "undici";
import { reportCpuUsageOnRequest } from "./report-cpu-usage.ts";

const pools: Record<string, Pool> = {
  fast: new Pool(`http://127.0.0.1:${process.argv[2]}`, { connections: 64 }),
  slow: new Pool(`http://127.0.0.1:${process.argv[3]}`, { connections: 64 }),
};
const app = Fastify({ logger: false });
app.post("/v1/chat/completions", async (request, reply) => {
  const body = request.body as { model: string };
  const slash = body.model.indexOf("/");
  const pool = pools[body.model.slice(0, slash)] ?? pools.fast;
  body.model = body.model.slice(slash + 1);
  const upstream = await (pool as Pool).request({
    method: "POST",
    path: "/v1/chat/completions",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  reply.code(upstream.statusCode).header("content-type", upstream.headers["content-type"] as string);
  return reply.send(upstream.body);
});
await app.listen({ port: 0, host: "127.0.0.1" });
const address = app.server.address();
process.send?.(`ready ${typeof address === "object" && address !== null ? address.port : 0}`);
reportCpuUsageOnRequest();
// Exit cleanly on SIGTERM so `--cpu-prof` can write its profile.
process.on("SIGTERM", () => process.exit(0));
