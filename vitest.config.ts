import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel tests share the host's netns namespace list; files run in separate workers but each
    // test names its namespaces uniquely, so parallel files are safe.
    pool: 'forks',
    globalSetup: ['test/setup/build-wasm.ts', 'test/setup/corpus.ts'],
  },
});
