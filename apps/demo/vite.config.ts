// Builds the live-cursors page to apps/demo/dist, which `collabblocks dev` serves at `/`.
// Workspace packages resolve through their "source" export condition, so the demo
// bundles the SDK's TypeScript directly: `vite build` needs no prior `tsc -b`, and
// `vite` (dev, with HMR) picks up SDK edits without a rebuild.
import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

/** Where `vite` (dev) forwards tokens and WebSockets: a running `collabblocks dev`. */
const SERVER = process.env.COLLABBLOCKS_URL ?? "http://127.0.0.1:8787";

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ["source", ...defaultClientConditions] },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/v1": { target: SERVER, ws: true },
      "/.well-known": { target: SERVER },
    },
  },
});
