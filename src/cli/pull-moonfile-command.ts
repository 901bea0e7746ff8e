import path from "node:path";
import type { StationConfig } from "../config/schema.ts";
import { huggingFaceAuthorization } from "../providers/download/hugging-face-authorization.ts";
import { pullMoonfile } from "../providers/moonfile/pull-moonfile.ts";
import { type LocalVisionProviderConfig, localVisionModelsDirectories } from "../providers/transformers/create-local-vision-provider.ts";
import type { PullFlags } from "./pull-flags.ts";
import { createPullProgressBar, megabytes } from "./pull-progress-bar.ts";

/** `station pull <file or URL>.mf[.gz]`: a Moondream archive into the local vision provider's models directory. */
export async function pullMoonfileCommand(source: string, flags: PullFlags, config: StationConfig): Promise<void> {
  const vision = config.providers?.find((provider): provider is LocalVisionProviderConfig => provider.type === "local-vision");
  const directory =
    flags.dir !== undefined
      ? path.resolve(flags.dir)
      : vision === undefined
        ? path.join(config.dataDir, "models")
        : (localVisionModelsDirectories(vision, config)[0] as string);
  const bar = createPullProgressBar(flags, "{bar} {percentage}% | {value}/{total} MB");
  const result = await pullMoonfile({
    source,
    directory,
    huggingFaceEndpoint: flags.hfEndpoint ?? config.huggingFace.endpoint,
    ...huggingFaceAuthorization(source, config.huggingFace.token),
    onProgress: (received, total) => bar.update(received, total),
  }).finally(() => bar.stop());
  if (result.alreadyPresent) process.stdout.write(`already present: ${result.path}\n`);
  else process.stdout.write(`saved ${result.path} (${megabytes(result.sizeBytes)} MB)\n`);
  process.stdout.write(`sha256 ${result.sha256}\nmodel: ${vision?.id ?? "vision"}/${result.modelName} (moondream-mf)\n`);
}
