import { unlink } from "node:fs/promises";
import path from "node:path";
import type { StationConfig } from "../../config/schema.ts";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import type { ModelRegistry } from "../../models/model-registry.ts";
import { createGuardedFetch } from "../../net/create-guarded-fetch.ts";
import { huggingFaceAuthorization } from "../../providers/download/hugging-face-authorization.ts";
import { llamaCppModelsDirectories } from "../../providers/llamacpp/create-llamacpp-provider.ts";
import { pullModel } from "../../providers/llamacpp/pull-model.ts";
import type { ModelInfo } from "../../providers/spec/index.ts";
import type { ModelAliasStore } from "./model-alias-store.ts";
import { nameCandidates } from "./ollama-names.ts";

export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

/**
 * What Ollama's model-management calls mean over Station's registry: `name:tag` names resolve
 * to Station ids, `/api/copy` adds an alias (stored in the database, so it survives restarts),
 * `/api/pull` is Station's GGUF pull (hf:… or https:// URIs) and `/api/delete` removes a pulled
 * GGUF file. Names resolve on every request, so the aliases are held in memory as well: loaded
 * at start, and read again for `/api/tags`, before a name is declared unknown (another instance
 * may have added one) and before an alias is used (another instance may have deleted or moved it).
 */
export class OllamaModels {
  private readonly aliases = new Map<string, string>();
  private readonly fetch: ReturnType<typeof createGuardedFetch>;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly config: StationConfig,
    private readonly store: ModelAliasStore,
  ) {
    this.fetch = createGuardedFetch({ allowPrivateNetworks: config.security.allowPrivateNetworks, maxRedirects: 5, param: "model" });
  }

  /** The Station id (or route name) an Ollama-style name means; unknown names pass through to the registry. */
  resolveName(name: string): string {
    const candidates = nameCandidates(name);
    for (const candidate of candidates) {
      const alias = this.aliases.get(candidate);
      if (alias !== undefined) return alias;
      if (this.registry.knows(candidate)) return candidate;
    }
    // Unknown: the untagged form goes to the registry (Station ids carry no `:latest`).
    return candidates.find((candidate) => !candidate.endsWith(":latest")) ?? name;
  }

  /**
   * The name's id when it needs no fresh read of the stored aliases: none of its forms is an alias
   * here and the registry knows one of them (synchronous: the hot path awaits nothing); else undefined.
   */
  knownName(name: string): string | undefined {
    // Without aliases (nearly always) the name as given, which is every name's first form, decides first.
    if (this.aliases.size === 0 && this.registry.knows(name)) return name;
    const candidates = nameCandidates(name);
    let known: string | undefined;
    for (const candidate of candidates) {
      if (this.aliases.has(candidate)) return undefined;
      if (known === undefined && this.registry.knows(candidate)) known = candidate;
    }
    return known;
  }

  /**
   * `resolveName` for a request that is about to run, reading the stored aliases again first when
   * the name is an alias here (another instance may have deleted it or pointed it elsewhere) or is
   * neither an alias nor a model the registry knows (another instance may have made it). A
   * registry model's name costs no query.
   */
  async resolveFreshName(name: string): Promise<string> {
    const known = this.knownName(name);
    if (known !== undefined) return known;
    await this.load();
    return this.resolveName(name);
  }

  /** Reads the stored aliases again (start-up, /api/tags, and before a name is declared unknown). */
  async load(): Promise<void> {
    const entries = await this.store.all();
    this.aliases.clear();
    for (const [alias, id] of entries) this.aliases.set(alias, id);
  }

  async info(name: string): Promise<{ id: string; info: ModelInfo | undefined; alias: string | undefined }> {
    let id = await this.resolveFreshName(name);
    let resolved = await this.registry.resolve(id).catch(() => undefined);
    if (resolved === undefined) {
      await this.load();
      id = this.resolveName(name);
      resolved = await this.registry.resolve(id).catch(() => {
        throw new StationError({ code: "model_not_found", status: 404, param: "model", message: `model '${name}' not found` });
      });
    }
    return {
      id,
      info: resolved.info ?? this.registry.get(resolved.targets[0]?.id ?? ""),
      alias: this.aliases.has(name) ? name : undefined,
    };
  }

  /** Names that are aliases, with the id each stands for (for /api/tags). */
  aliasEntries(): [string, string][] {
    return [...this.aliases.entries()];
  }

  async copy(source: string, destination: string): Promise<void> {
    const { id } = await this.info(source);
    await this.store.put(destination, id);
    this.aliases.set(destination, id);
  }

  /** Deletes an alias (as named, or untagged for one stored with `:latest`), else a pulled GGUF file. */
  async delete(name: string): Promise<void> {
    for (const candidate of nameCandidates(name)) {
      // The store decides: another instance may have deleted the alias this one still holds.
      this.aliases.delete(candidate);
      if (await this.store.delete(candidate)) return;
    }
    const { info } = await this.info(name);
    const file = info?.metadata?.path;
    const provider = info === undefined ? undefined : this.registry.provider(info.providerId);
    if (typeof file !== "string" || provider?.type !== "llamacpp") {
      throw errors.unsupported(
        `model '${name}' is served by a provider Station cannot delete models from; only pulled GGUF files can be deleted`,
        "model",
      );
    }
    await provider.unloadModel?.(info?.name ?? "").catch(() => undefined);
    await unlink(file);
    await this.registry.refresh(info?.providerId);
  }

  /** Downloads a GGUF through Station's pull, reporting progress as Ollama's status lines. */
  async pull(uri: string, onProgress: (progress: PullProgress) => void, signal: AbortSignal): Promise<void> {
    if (!uri.startsWith("hf:") && !/^https?:\/\//i.test(uri)) {
      throw errors.invalidRequest(
        `pull model manifest: Station pulls GGUF files: name 'hf:<user>/<repo>/<file>.gguf' or an https:// URL, not '${uri}'`,
        "model",
      );
    }
    const digest = `sha256:${path.basename(uri)}`;
    onProgress({ status: "pulling manifest" });
    await pullModel({
      uri,
      directory: this.pullDirectory(),
      huggingFaceEndpoint: this.config.huggingFace.endpoint,
      fetch: this.fetch as unknown as typeof fetch,
      signal,
      ...huggingFaceAuthorization(uri, this.config.huggingFace.token),
      onProgress: (received, total) => onProgress({ status: `pulling ${digest}`, digest, total: total ?? received, completed: received }),
    });
    onProgress({ status: "verifying sha256 digest" });
    onProgress({ status: "writing manifest" });
    const local = this.config.providers?.find((provider) => provider.type === "llamacpp");
    await this.registry.refresh(local?.id);
    onProgress({ status: "success" });
  }

  private pullDirectory(): string {
    const local = this.config.providers?.find((provider) => provider.type === "llamacpp");
    return local?.type === "llamacpp"
      ? (llamaCppModelsDirectories(local, this.config)[0] as string)
      : path.join(this.config.dataDir, "models");
  }
}
