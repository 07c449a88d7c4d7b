import { defineConfig } from "vitest/config";

// One vitest run covers every package. Tests import workspace packages through
// the "source" export condition, so they run against src/ without a build; the
// integration tests that spawn the CLI use the built dist/ (CI builds first).
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: [
      "packages/*/src/**/*.test.{ts,tsx}",
      "apps/*/src/**/*.test.{ts,tsx}",
      "bench/**/*.test.ts",
      "deploy/**/*.test.ts",
      "checks/**/*.test.ts",
      "examples/**/*.test.ts",
      "test-e2e/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
