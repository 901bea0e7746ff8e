/** "<providerId>/<modelName>" → parts. Model names may themselves contain "/" (e.g. "openrouter/meta-llama/llama-3"). */
export function splitModelId(id: string): { providerId: string; modelName: string } | undefined {
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) return undefined;
  return { providerId: id.slice(0, slash), modelName: id.slice(slash + 1) };
}
