import { expect } from "vitest";

/**
 * Each model's `/v1/caption` is a 422 `model_invalid` whose message names the model, and the
 * server still answers `/health` afterwards (a broken model file must never take Station down).
 */
export async function expectCaptionsRefusedAsInvalid(stationUrl: string, imageUrl: string, models: readonly string[]): Promise<void> {
  for (const model of models) {
    const response = await fetch(`${stationUrl}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_url: imageUrl, model }),
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("model_invalid");
    expect(body.error.message).toContain(model);
  }
  expect((await fetch(`${stationUrl}/health`)).status).toBe(200);
}
