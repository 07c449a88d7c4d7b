#!/usr/bin/env node
// A committed JS shim, so that the bin exists (and is executable) when npm links
// it at install time, before `prepare` has built dist/.
import("../dist/cli/main.js").catch((err) => {
  console.error(`collabblocks: cannot load the built CLI (${err.message}); run \`npm run build\` first`);
  process.exit(1);
});
