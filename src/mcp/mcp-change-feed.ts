/**
 * Shared mode: tells every instance that the stored MCP servers changed (one added, enabled or
 * disabled through some instance's API), so each re-reads them at once instead of on its next poll.
 */
export interface McpChangeFeed {
  /** Announces a change to every instance, this one included. */
  publish(): Promise<void>;
  /** Calls `onChange` on each announcement; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
}
