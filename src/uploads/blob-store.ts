/** Where upload bytes live, by content id: files in the data dir, or a database table every instance reads. */
export interface BlobStore {
  /** Stores the bytes under `id` (content-addressed: the same id always means the same bytes). */
  put(id: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or undefined when none are stored under `id`. */
  get(id: string): Promise<Buffer | undefined>;
}
