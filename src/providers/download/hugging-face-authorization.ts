/**
 * The Authorization header a pull of `source` may carry: the Hugging Face token goes only to
 * Hugging Face (hf: sources), never to an arbitrary https:// host. Spread into the pull's options.
 */
export function huggingFaceAuthorization(source: string, token: string | undefined): { headers?: Record<string, string> } {
  return source.startsWith("hf:") && token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {};
}
