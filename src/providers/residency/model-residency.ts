import { errors } from "../../errors/errors.ts";
import type { Logger } from "../../logging/create-logger.ts";
import type { Scheduler } from "./scheduler.ts";

/** Anything that occupies memory while loaded (a GGUF, a set of ONNX sessions, a speech model). */
export interface Resident {
  readonly sizeBytes: number;
  dispose(): Promise<void>;
}

export interface ResidencyEntry<Model extends Resident> {
  /** The name inside the view that loaded it (without the view's prefix). */
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
  /** The models this view loaded. */
  entries(): ResidencyEntry<Model>[];
  /** Unloads every model of this view. */
  close(): Promise<void>;
  /**
   * A view for one engine (one provider): its names live under `prefix`, it has its own default
   * keep-alive and optional budget, and it shares this residency's budget and LRU eviction with
   * every other view, so loading a vision model can unload an idle GGUF and vice versa.
   */
  scope<Scoped extends Model>(prefix: string, options: ScopeOptions): ModelResidency<Scoped>;
}

export interface ScopeOptions {
  defaultKeepAliveMs: number;
  /** Budget for this view's own models; 0 = only the shared one applies. */
  memoryBudgetBytes?: number;
}

export interface ModelResidencyOptions {
  scheduler: Scheduler;
  defaultKeepAliveMs: number;
  /** 0 = unlimited. */
  memoryBudgetBytes: number;
  logger: Logger;
}

interface Slot {
  readonly key: string;
  readonly prefix: string;
  readonly entry: ResidencyEntry<Resident>;
}

/**
 * Which models are in memory: lazy loads, keep-alive expiry (Ollama semantics), and a memory
 * budget that evicts the least recently used idle model before loading another. Engine-neutral:
 * the GGUF engine, the local vision engine and speech engines each take a `scope` of one shared
 * residency.
 */
export function createModelResidency<Model extends Resident>(options: ModelResidencyOptions): ModelResidency<Model> {
  const { scheduler, logger } = options;
  const loaded = new Map<string, Slot>();
  const loading = new Map<string, Promise<Slot>>();
  const timers = new Map<string, unknown>();
  const draining = new Set<Slot>();
  const keyOf = (prefix: string, name: string) => (prefix === "" ? name : `${prefix}/${name}`);

  const clearTimer = (key: string) => {
    const timer = timers.get(key);
    if (timer !== undefined) scheduler.clearTimeout(timer);
    timers.delete(key);
  };

  const dispose = async (slot: Slot, reason: string) => {
    logger.info({ model: slot.key, reason }, "unloading model");
    await slot.entry.model.dispose().catch((error: unknown) => logger.warn({ err: error, model: slot.key }, "model dispose failed"));
  };

  const evict = async (slot: Slot, reason: string) => {
    clearTimer(slot.key);
    if (loaded.get(slot.key) === slot) loaded.delete(slot.key);
    slot.entry.expiresAt = undefined;
    if (slot.entry.users > 0) {
      draining.add(slot);
      return;
    }
    await dispose(slot, reason);
  };

  const scheduleExpiry = (slot: Slot) => {
    const { entry } = slot;
    clearTimer(slot.key);
    entry.expiresAt = undefined;
    if (entry.users > 0 || entry.keepAliveMs < 0) return;
    if (entry.keepAliveMs === 0) {
      void evict(slot, "keep_alive 0");
      return;
    }
    entry.expiresAt = entry.lastUsedAt + entry.keepAliveMs;
    timers.set(
      slot.key,
      scheduler.setTimeout(() => {
        timers.delete(slot.key);
        if (entry.users === 0 && loaded.get(slot.key) === slot) void evict(slot, "keep-alive expired");
      }, entry.keepAliveMs),
    );
  };

  const busyError = (name: string) =>
    errors.busy(`Not enough memory budget to load '${name}' while other models are generating. Retry shortly.`, 5);

  /** Evicts idle models (LRU, among `members`) until `estimatedBytes` more fits in `budget`. */
  const fitWithin = async (name: string, estimatedBytes: number, budget: number, members: (slot: Slot) => boolean) => {
    if (budget <= 0) return;
    const counted = () => [...loaded.values(), ...draining].filter(members);
    const used = () => counted().reduce((sum, slot) => sum + slot.entry.model.sizeBytes, 0);
    const idleSlots = () => [...loaded.values()].filter((slot) => members(slot) && slot.entry.users === 0);
    const busyBytes = used() - idleSlots().reduce((sum, slot) => sum + slot.entry.model.sizeBytes, 0);
    // Evict nothing when even unloading every idle model would not make room.
    if (busyBytes > 0 && busyBytes + estimatedBytes > budget) throw busyError(name);
    while (used() + estimatedBytes > budget) {
      const victim = idleSlots().sort((a, b) => a.entry.lastUsedAt - b.entry.lastUsedAt)[0];
      if (victim === undefined) {
        if (used() === 0) return; // Alone it exceeds the budget: try anyway, the engine reports real failures.
        throw busyError(name);
      }
      await evict(victim, "memory budget (least recently used)");
    }
  };

  const ensureLoaded = (prefix: string, scopeOptions: ScopeOptions, name: string, prepare: PrepareLoad<Resident>): Promise<Slot> => {
    const key = keyOf(prefix, name);
    const present = loaded.get(key);
    if (present !== undefined) return Promise.resolve(present);
    const pending = loading.get(key);
    if (pending !== undefined) return pending;
    const promise = (async () => {
      const { estimatedBytes, load } = await prepare();
      await fitWithin(key, estimatedBytes, scopeOptions.memoryBudgetBytes ?? 0, (slot) => slot.prefix === prefix);
      await fitWithin(key, estimatedBytes, options.memoryBudgetBytes, () => true);
      const started = scheduler.now();
      const model = await load();
      const now = scheduler.now();
      logger.info({ model: key, ms: now - started, bytes: model.sizeBytes }, "model loaded");
      const slot: Slot = {
        key,
        prefix,
        entry: {
          name,
          model,
          loadedAt: now,
          lastUsedAt: now,
          keepAliveMs: scopeOptions.defaultKeepAliveMs,
          expiresAt: undefined,
          users: 0,
        },
      };
      loaded.set(key, slot);
      return slot;
    })().finally(() => loading.delete(key));
    loading.set(key, promise);
    return promise;
  };

  const view = <Scoped extends Resident>(prefix: string, scopeOptions: ScopeOptions): ModelResidency<Scoped> => {
    // The root view sees every model; a scope sees its own.
    const mine = (slot: Slot) => prefix === "" || slot.prefix === prefix;
    return {
      async acquire(name, prepare) {
        const slot = await ensureLoaded(prefix, scopeOptions, name, prepare);
        const { entry } = slot;
        entry.users++;
        clearTimer(slot.key);
        entry.expiresAt = undefined;
        let released = false;
        return {
          model: entry.model as Scoped,
          release(keepAliveMs) {
            if (released) return;
            released = true;
            entry.users--;
            entry.lastUsedAt = scheduler.now();
            if (keepAliveMs !== undefined) entry.keepAliveMs = keepAliveMs;
            if (draining.has(slot)) {
              if (entry.users === 0) {
                draining.delete(slot);
                void dispose(slot, "unloaded after last request");
              }
              return;
            }
            scheduleExpiry(slot);
          },
        };
      },
      async preload(name, prepare, keepAliveMs) {
        const slot = await ensureLoaded(prefix, scopeOptions, name, prepare);
        slot.entry.lastUsedAt = scheduler.now();
        if (keepAliveMs !== undefined) slot.entry.keepAliveMs = keepAliveMs;
        scheduleExpiry(slot);
        return slot.entry as ResidencyEntry<Scoped>;
      },
      async unload(name) {
        const key = keyOf(prefix, name);
        const pending = loading.get(key);
        if (pending !== undefined) await pending.catch(() => undefined);
        const slot = loaded.get(key);
        if (slot === undefined) return false;
        await evict(slot, "explicit unload");
        return true;
      },
      entries: () => [...loaded.values()].filter(mine).map((slot) => slot.entry as ResidencyEntry<Scoped>),
      async close() {
        const pendingLoads = [...loading.entries()].filter(([key]) => prefix === "" || key.startsWith(`${prefix}/`));
        await Promise.allSettled(pendingLoads.map(([, promise]) => promise));
        const all = [...loaded.values(), ...draining].filter(mine);
        for (const slot of all) {
          clearTimer(slot.key);
          loaded.delete(slot.key);
          draining.delete(slot);
        }
        await Promise.all(all.map((slot) => dispose(slot, "shutdown")));
      },
      scope: <Inner extends Scoped>(innerPrefix: string, innerOptions: ScopeOptions) =>
        view<Inner>(keyOf(prefix, innerPrefix), innerOptions),
    };
  };

  return view<Model>("", { defaultKeepAliveMs: options.defaultKeepAliveMs });
}
