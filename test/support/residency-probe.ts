/** A model as GET /v1/system/ps lists it (the fields the residency tests read). */
export interface PsModel {
  id: string;
  loadedAt: string;
  sequences: { total: number; busy: number; waiting: number };
}

/**
 * What the local-model tests do against a started Station: POST JSON, read one model's entry in
 * /v1/system/ps (undefined: not loaded), and wait for a condition (polling every 10 ms, up to 20 s).
 */
export function residencyProbe(stationUrl: () => string) {
  const post = (route: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${stationUrl()}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  const ps = async (id: string): Promise<PsModel | undefined> =>
    ((await (await fetch(`${stationUrl()}/v1/system/ps`)).json()) as { models: PsModel[] }).models.find((model) => model.id === id);
  const until = async (condition: () => Promise<boolean>, what: string) => {
    for (let attempt = 0; attempt < 2000; attempt++) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for: ${what}`);
  };
  return { post, ps, until };
}
