import { assertPublicUrl } from "../../net/assert-public-url.ts";
import { createGuardedFetch } from "../../net/create-guarded-fetch.ts";
import { huggingFaceAuthorization } from "../../providers/download/hugging-face-authorization.ts";
import { type PullMoonfileResult, pullMoonfile } from "../../providers/moonfile/pull-moonfile.ts";
import type { Station } from "../../station/station.ts";

/**
 * A `.mf` pull asked through the API: hf: sources go to the configured Hugging Face endpoint
 * (with its token), any other URL through the SSRF guard (security.allowPrivateNetworks), a path
 * is read from the server's disk and must be a whole Moondream archive to be copied.
 */
export async function pullMoonfileForApi(
  station: Station,
  source: string,
  directory: string,
  onProgress: (receivedBytes: number, totalBytes: number | undefined) => void,
  signal: AbortSignal,
): Promise<PullMoonfileResult> {
  const { config } = station;
  const huggingFace = source.startsWith("hf:");
  const allowPrivateNetworks = config.security.allowPrivateNetworks;
  // Checked before the download so the refusal is the guard's own 400 (redirects are checked by the guarded fetch).
  if (/^https?:/i.test(source)) await assertPublicUrl(source, { allowPrivateNetworks, param: "model" });
  const guarded = huggingFace ? undefined : createGuardedFetch({ allowPrivateNetworks, maxRedirects: 5, param: "model" });
  try {
    return await pullMoonfile({
      source,
      directory,
      huggingFaceEndpoint: config.huggingFace.endpoint,
      ...huggingFaceAuthorization(source, config.huggingFace.token),
      ...(guarded === undefined ? {} : { fetch: guarded as unknown as typeof fetch }),
      onProgress,
      signal,
    });
  } finally {
    await guarded?.close();
  }
}
