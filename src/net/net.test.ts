import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStationError } from "../errors/station-error.ts";
import { assertPublicUrl } from "./assert-public-url.ts";
import { createGuardedFetch } from "./create-guarded-fetch.ts";
import { createGuardedPost } from "./create-guarded-post.ts";
import { isPublicAddress } from "./is-public-address.ts";
import { readLimitedBody } from "./read-limited-body.ts";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "no error";
  } catch (error) {
    return isStationError(error) ? `${error.status} ${error.code}` : `unexpected ${String(error)}`;
  }
}

describe("isPublicAddress", () => {
  it.each([
    ["127.0.0.1", false],
    ["127.10.0.1", false],
    ["10.1.2.3", false],
    ["172.16.0.1", false],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["224.0.0.1", false],
    ["0.0.0.0", false],
    ["255.255.255.255", false],
    ["::1", false],
    ["::", false],
    ["fe80::1", false],
    ["fd00::1", false],
    ["ff02::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["not an ip", false],
    ["93.184.216.34", true],
    ["8.8.8.8", true],
    ["::ffff:8.8.8.8", true],
    ["2606:4700:4700::1111", true],
    // IPv4-compatible (::a.b.c.d, deprecated), as written and as a URL parser normalises it
    ["::127.0.0.1", false],
    ["::7f00:1", false],
    ["::a9fe:a9fe", false],
    ["::a00:1", false],
    ["::8.8.8.8", false],
    // NAT64 (well-known and local-use prefixes), 6to4, Teredo, SIIT, discard, documentation
    ["64:ff9b::7f00:1", false],
    ["64:ff9b:1::a00:1", false],
    ["2002:7f00:1::", false],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", false],
    ["::ffff:0:7f00:1", false],
    ["100::1", false],
    ["2001:db8::1", false],
  ])("%s → %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe("assertPublicUrl refuses every spelling of a private address", () => {
  const noDns = async (): Promise<string[]> => {
    throw new Error("no DNS in this test");
  };
  const loopbackDns = async () => ["127.0.0.1"];
  it.each([
    ["dotted", "http://127.0.0.1/"],
    ["decimal", "http://2130706433/"],
    ["octal", "http://0177.0.0.1/"],
    ["hex", "http://0x7f.0x0.0x0.0x1/"],
    ["hex, one number", "http://0x7f000001/"],
    ["short", "http://127.1/"],
    ["short, private", "http://10.1/"],
    ["trailing dot", "http://127.0.0.1./"],
    ["metadata, decimal", "http://2852039166/"],
    ["IPv6 loopback", "http://[::1]/"],
    ["IPv6 loopback, long", "http://[0:0:0:0:0:0:0:1]/"],
    ["unspecified", "http://[::]/"],
    ["mapped", "http://[::ffff:127.0.0.1]/"],
    ["mapped, hex", "http://[::ffff:7f00:1]/"],
    ["mapped, metadata", "http://[::ffff:169.254.169.254]/"],
    ["compatible, loopback", "http://[::127.0.0.1]/"],
    ["compatible, metadata in hex", "http://[::a9fe:a9fe]/"],
    ["compatible, private", "http://[::10.0.0.1]/"],
    ["compatible, long", "http://[0:0:0:0:0:0:127.0.0.1]/"],
    ["NAT64", "http://[64:ff9b::127.0.0.1]/"],
    ["NAT64, metadata", "http://[64:ff9b::a9fe:a9fe]/"],
    ["6to4", "http://[2002:7f00:1::]/"],
    ["6to4, private", "http://[2002:a00:1::1]/"],
    ["link-local", "http://[fe80::1]/"],
    ["unique-local", "http://[fd00::1]/"],
  ])("%s: %s", async (_spelling, url) => {
    expect(await codeOf(assertPublicUrl(url, { allowPrivateNetworks: false, resolve: noDns }))).toBe("400 url_not_allowed");
  });
  it.each([
    ["a name", "http://localhost/"],
    ["a name with a trailing dot", "http://localhost./"],
  ])("%s that resolves to loopback: %s", async (_spelling, url) => {
    expect(await codeOf(assertPublicUrl(url, { allowPrivateNetworks: false, resolve: loopbackDns }))).toBe("400 url_not_allowed");
  });
  it.each([
    ["dotted", "http://8.8.8.8/"],
    ["decimal", "http://134744072/"],
    ["mapped", "http://[::ffff:8.8.8.8]/"],
    ["IPv6", "http://[2606:4700:4700::1111]/"],
  ])("accepts a public %s address: %s", async (_spelling, url) => {
    await expect(assertPublicUrl(url, { allowPrivateNetworks: false, resolve: noDns })).resolves.toBeInstanceOf(URL);
  });
});

describe("assertPublicUrl", () => {
  const publicDns = async () => ["93.184.216.34"];
  it("accepts a public host and returns the parsed URL", async () => {
    const url = await assertPublicUrl("https://example.com/a.png", { allowPrivateNetworks: false, resolve: publicDns });
    expect(url.hostname).toBe("example.com");
  });
  it("refuses private literals, private resolutions and odd schemes", async () => {
    expect(await codeOf(assertPublicUrl("http://127.0.0.1:2020/", { allowPrivateNetworks: false }))).toBe("400 url_not_allowed");
    expect(await codeOf(assertPublicUrl("http://[::1]/", { allowPrivateNetworks: false }))).toBe("400 url_not_allowed");
    expect(await codeOf(assertPublicUrl("http://169.254.169.254/latest", { allowPrivateNetworks: false }))).toBe("400 url_not_allowed");
    expect(
      await codeOf(
        assertPublicUrl("http://internal.example/", { allowPrivateNetworks: false, resolve: async () => ["93.184.216.34", "10.0.0.5"] }),
      ),
    ).toBe("400 url_not_allowed");
    expect(await codeOf(assertPublicUrl("file:///etc/passwd", { allowPrivateNetworks: true }))).toBe("400 url_not_allowed");
    expect(await codeOf(assertPublicUrl("not a url", { allowPrivateNetworks: false }))).toBe("400 invalid_url");
    expect(
      await codeOf(
        assertPublicUrl("http://nowhere.invalid/", {
          allowPrivateNetworks: false,
          resolve: async () => {
            throw new Error("ENOTFOUND");
          },
        }),
      ),
    ).toBe("400 url_unreachable");
  });
  it("allows private hosts when the config says so", async () => {
    await expect(assertPublicUrl("http://127.0.0.1/", { allowPrivateNetworks: true })).resolves.toBeInstanceOf(URL);
  });
});

describe("createGuardedFetch", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === "/redirect") {
        response.writeHead(302, { location: "/hello" }).end();
      } else if (request.url === "/hang") {
        // never answers
      } else if (request.url === "/big") {
        response.end(Buffer.alloc(10_000));
      } else {
        response.end("hello");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("refuses loopback before connecting", async () => {
    const guarded = createGuardedFetch({ allowPrivateNetworks: false });
    expect(await codeOf(guarded(`http://127.0.0.1:${port}/hello`))).toBe("400 url_not_allowed");
    await guarded.close();
  });

  it("re-checks the address at connect time, so DNS rebinding is refused", async () => {
    // The pre-check is told 'localhost' is public; the connect-time lookup sees 127.0.0.1.
    const guarded = createGuardedFetch({ allowPrivateNetworks: false, resolve: async () => ["93.184.216.34"] });
    expect(await codeOf(guarded(`http://localhost:${port}/hello`))).toBe("400 url_not_allowed");
    await guarded.close();
  });

  it("fetches private hosts when allowed, without following redirects by default", async () => {
    const guarded = createGuardedFetch({ allowPrivateNetworks: true });
    const ok = await guarded(`http://127.0.0.1:${port}/hello`);
    expect(await ok.text()).toBe("hello");
    const redirect = await guarded(`http://127.0.0.1:${port}/redirect`);
    expect(redirect.status).toBe(302);
    await guarded.close();
    const following = createGuardedFetch({ allowPrivateNetworks: true, maxRedirects: 2 });
    const followed = await following(`http://127.0.0.1:${port}/redirect`);
    expect(await followed.text()).toBe("hello");
    await following.close();
  });

  it("maps timeouts, refused connections and oversized bodies to 400s", async () => {
    const guarded = createGuardedFetch({ allowPrivateNetworks: true, timeoutMs: 300 });
    expect(await codeOf(guarded(`http://127.0.0.1:${port}/hang`))).toBe("400 url_timeout");
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await codeOf(guarded(`http://127.0.0.1:${closedPort}/`))).toBe("400 url_unreachable");
    const big = await guarded(`http://127.0.0.1:${port}/big`);
    expect(await codeOf(readLimitedBody(big, 1000))).toBe("400 url_response_too_large");
    const small = await guarded(`http://127.0.0.1:${port}/big`);
    expect((await readLimitedBody(small, 20_000)).byteLength).toBe(10_000);
    await guarded.close();
  });

  it("createGuardedPost applies the same guard, never follows redirects and bounds time", async () => {
    const guarded = createGuardedPost({ allowPrivateNetworks: false, timeoutMs: 1000, resolve: async () => ["93.184.216.34"] });
    expect(await codeOf(guarded(`http://127.0.0.1:${port}/hello`, { headers: {}, body: "{}" }))).toBe("400 url_not_allowed");
    expect(await codeOf(guarded(`http://localhost:${port}/hello`, { headers: {}, body: "{}" }))).toBe("400 url_not_allowed");
    await guarded.close();
    const open = createGuardedPost({ allowPrivateNetworks: true, timeoutMs: 300 });
    expect(await open(`http://127.0.0.1:${port}/hello`, { headers: { "content-type": "application/json" }, body: "{}" })).toEqual({
      status: 200,
    });
    expect(await open(`http://127.0.0.1:${port}/redirect`, { headers: {}, body: "{}" })).toEqual({ status: 302 });
    expect(await codeOf(open(`http://127.0.0.1:${port}/hang`, { headers: {}, body: "{}" }))).toBe("400 url_timeout");
    await open.close();
  });
});
