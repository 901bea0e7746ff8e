import type { Provider } from "../../src/providers/spec/provider.ts";

/** A vision provider that answers instantly, so the bench measures Station, not a model. */
export function createInstantVisionProvider(): Provider {
  return {
    id: "instant",
    type: "bench-instant",
    async listModels() {
      return [
        { id: "instant/vision", providerId: "instant", name: "vision", capabilities: ["vision", "detect", "point"], state: "available" },
      ];
    },
    async health() {
      return { status: "ok" };
    },
    visionModel: () => ({
      id: "instant/vision",
      async *caption() {
        yield "An instant caption.";
      },
      async *query(request) {
        yield `An instant answer to: ${request.question}`;
      },
      async detect() {
        return [{ x_min: 0, y_min: 0, x_max: 1, y_max: 1 }];
      },
      async point() {
        return [{ x: 0.5, y: 0.5 }];
      },
    }),
  };
}
