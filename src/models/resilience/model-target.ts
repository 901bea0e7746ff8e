import type { Provider } from "../../providers/spec/index.ts";

/** One concrete place a call can go: a provider and the model name it knows. */
export interface ModelTarget {
  /** "<providerId>/<modelName>" */
  readonly id: string;
  readonly provider: Provider;
  readonly modelName: string;
}
