/** A model resident in memory, as `GET /v1/system/ps` reports it (Ollama's /api/ps, Station-shaped). */
export interface RunningModel {
  /** "<providerId>/<modelName>" */
  id: string;
  providerId: string;
  name: string;
  /** Weights plus context state, in bytes. */
  sizeBytes: number;
  contextSize: number;
  threads?: number;
  sequences: { total: number; busy: number; waiting: number };
  loadedAt: string;
  lastUsedAt: string;
  /** When the keep-alive unloads it; null while in use or kept forever. */
  expiresAt: string | null;
  /** -1 = forever. */
  keepAliveMs: number;
}
