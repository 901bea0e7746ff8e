import { errors } from "../../errors/errors.ts";
import type { Logger } from "../../logging/create-logger.ts";
import type { Scheduler } from "./scheduler.ts";

/** Anything that occupies memory while loaded. */
export interface Resident {
  readonly sizeBytes: number;
  dispose(): Promise<void>;
}

export interface ResidencyEntry<Model extends Resident> {
  readonly name: string;
  readonly model: Model;
  readonly loadedAt: number;
  lastUsedAt: number;
  /** -1 = forever. */
  keepAliveMs: number;
  /** undefined while in use or kept forever. */
  expiresAt: number | undefined;
  users: number;
}

export interface ResidencyHandle<Model extends Resident> {
  readonly model: Model;
  /** Marks one use finished; `keepAliveMs` (Ollama's keep_alive) replaces the model's keep-alive. */
  release(keepAliveMs?: number): void;
}

/** Called only when the model is not loaded yet: validates, then says how big it will be and how to load it. */
export type PrepareLoad<Model> = () => Promise<{ estimatedBytes: number; load(): Promise<Model> }>;

export interface ModelResidency<Model extends Resident> {
  /** Loads on first use (concurrent callers share one load) and counts a user until release. */
  acquire(name: string, prepare: PrepareLoad<Model>): Promise<ResidencyHandle<Model>>;
  /** Loads (or refreshes the keep-alive of) a model with no user attached. */
  preload(name: string, prepare: PrepareLoad<Model>, keepAliveMs?: number): Promise<ResidencyEntry<Model>>;
  /** Unloads now if idle, otherwise as soon as the last user releases. Returns whether it was loaded. */
  unload(name: string): Promise<boolean>;
  entries(): ResidencyEntry<Model>[];
  close(): Promise<void>;
}

export interface ModelResidencyOptions {
  scheduler: Scheduler;
  defaultKeepAliveMs: number;
  /** 0 = unlimited. */
  memoryBudgetBytes: number;
  logger: Logger;
}

/**
 * Which models are in memory: lazy loads, keep-alive expiry (Ollama semantics), and a memory
 * budget that evicts the least recently used idle model before loading another.
 */
export function createModelResidency<Model extends Resident>(options: ModelResidencyOptions): ModelResidency<Model> {
  const { scheduler, logger } = options;
  const loaded = new Map<string, ResidencyEntry<Model>>();
  const loading = new Map<string, Promise<ResidencyEntry<Model>>>();
  const timers = new Map<string, unknown>();
  const draining = new Set<ResidencyEntry<Model>>();

  const clearTimer = (name: string) => {
    const timer = timers.get(name);
    if (timer !== undefined) scheduler.clearTimeout(timer);
    timers.delete(name);
  };

  const dispose = async (entry: ResidencyEntry<Model>, reason: string) => {
    logger.info({ model: entry.name, reason }, "unloading model");
    await entry.model.dispose().catch((error: unknown) => logger.warn({ err: error, model: entry.name }, "model dispose failed"));
  };

  const evict = async (entry: ResidencyEntry<Model>, reason: string) => {
    clearTimer(entry.name);
    if (loaded.get(entry.name) === entry) loaded.delete(entry.name);
    entry.expiresAt = undefined;
    if (entry.users > 0) {
      draining.add(entry);
      return;
    }
    await dispose(entry, reason);
  };

  const scheduleExpiry = (entry: ResidencyEntry<Model>) => {
    clearTimer(entry.name);
    entry.expiresAt = undefined;
    if (entry.users > 0 || entry.keepAliveMs < 0) return;
    if (entry.keepAliveMs === 0) {
      void evict(entry, "keep_alive 0");
      return;
    }
    entry.expiresAt = entry.lastUsedAt + entry.keepAliveMs;
    timers.set(
      entry.name,
      scheduler.setTimeout(() => {
        timers.delete(entry.name);
        if (entry.users === 0 && loaded.get(entry.name) === entry) void evict(entry, "keep-alive expired");
      }, entry.keepAliveMs),
    );
  };

  const makeRoom = async (name: string, estimatedBytes: number) => {
    if (options.memoryBudgetBytes <= 0) return;
    const used = () => [...loaded.values(), ...draining].reduce((sum, entry) => sum + entry.model.sizeBytes, 0);
    const busyBytes =
      used() - [...loaded.values()].filter((entry) => entry.users === 0).reduce((sum, entry) => sum + entry.model.sizeBytes, 0);
    // Evict nothing when even unloading every idle model would not make room.
    if (busyBytes > 0 && busyBytes + estimatedBytes > options.memoryBudgetBytes) {
      throw errors.busy(`Not enough memory budget to load '${name}' while other models are generating. Retry shortly.`, 5);
    }
    while (used() + estimatedBytes > options.memoryBudgetBytes) {
      const idle = [...loaded.values()].filter((entry) => entry.users === 0).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
      const victim = idle[0];
      if (victim === undefined) {
        if (used() === 0) return; // Alone it exceeds the budget: try anyway, llama.cpp reports real failures.
        throw errors.busy(`Not enough memory budget to load '${name}' while other models are generating. Retry shortly.`, 5);
      }
      await evict(victim, "memory budget (least recently used)");
    }
  };

  const ensureLoaded = (name: string, prepare: PrepareLoad<Model>): Promise<ResidencyEntry<Model>> => {
    const present = loaded.get(name);
    if (present !== undefined) return Promise.resolve(present);
    const pending = loading.get(name);
    if (pending !== undefined) return pending;
    const promise = (async () => {
      const { estimatedBytes, load } = await prepare();
      await makeRoom(name, estimatedBytes);
      const started = scheduler.now();
      const model = await load();
      const now = scheduler.now();
      logger.info({ model: name, ms: now - started, bytes: model.sizeBytes }, "model loaded");
      const entry: ResidencyEntry<Model> = {
        name,
        model,
        loadedAt: now,
        lastUsedAt: now,
        keepAliveMs: options.defaultKeepAliveMs,
        expiresAt: undefined,
        users: 0,
      };
      loaded.set(name, entry);
      return entry;
    })().finally(() => loading.delete(name));
    loading.set(name, promise);
    return promise;
  };

  return {
    async acquire(name, prepare) {
      const entry = await ensureLoaded(name, prepare);
      entry.users++;
      clearTimer(name);
      entry.expiresAt = undefined;
      let released = false;
      return {
        model: entry.model,
        release(keepAliveMs) {
          if (released) return;
          released = true;
          entry.users--;
          entry.lastUsedAt = scheduler.now();
          if (keepAliveMs !== undefined) entry.keepAliveMs = keepAliveMs;
          if (draining.has(entry)) {
            if (entry.users === 0) {
              draining.delete(entry);
              void dispose(entry, "unloaded after last request");
            }
            return;
          }
          scheduleExpiry(entry);
        },
      };
    },
    async preload(name, prepare, keepAliveMs) {
      const entry = await ensureLoaded(name, prepare);
      entry.lastUsedAt = scheduler.now();
      if (keepAliveMs !== undefined) entry.keepAliveMs = keepAliveMs;
      scheduleExpiry(entry);
      return entry;
    },
    async unload(name) {
      const pending = loading.get(name);
      if (pending !== undefined) await pending.catch(() => undefined);
      const entry = loaded.get(name);
      if (entry === undefined) return false;
      await evict(entry, "explicit unload");
      return true;
    },
    entries: () => [...loaded.values()],
    async close() {
      await Promise.allSettled([...loading.values()]);
      for (const name of timers.keys()) clearTimer(name);
      const all = [...loaded.values(), ...draining];
      loaded.clear();
      draining.clear();
      await Promise.all(all.map((entry) => dispose(entry, "shutdown")));
    },
  };
}
