import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Every temporary file of the run under one directory, removed at its end (test/support/temporary-root.ts).
    globalSetup: ["test/support/temporary-root.ts"],
    reporters: ["default"],
  },
});
