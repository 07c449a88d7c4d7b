/** Path of the bundled Worker (dist/worker.js). */
export const WORKER_BUNDLE: string;
/** Bundles src/index.ts into `outfile` (default WORKER_BUNDLE) and returns its path. */
export function bundleWorker(outfile?: string): Promise<string>;
