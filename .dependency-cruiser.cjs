// Import directions (CONTRIBUTING.md "Imports flow one way"), checked in `npm test`
// by checks/imports.test.ts:
//   protocol ← client ← react ← demo;  protocol ← server;  protocol, server/portable ← edge-worker.
// Inside the server, the roles (roles/) compose the parts and the CLI (cli/) starts
// the roles; no part imports a role or the CLI, and no role imports the CLI.
const PARTS = "(edge|pod|bus|link|rpc|ops|limits|rollout|views|dev)";
const SERVER = "^packages/server/src/";
const TEST = "([.]test[.]tsx?$|/test-support/|/integration/)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle means two parts cannot be understood (or tested) apart.",
      from: { path: "^(packages|apps)/", pathNot: TEST },
      to: { circular: true },
    },
    {
      name: "protocol-imports-no-package",
      severity: "error",
      comment: "The protocol is the bottom layer: wire format and rules, no I/O.",
      from: { path: "^packages/protocol/" },
      to: { path: "^packages/(server|client|react)/|^apps/" },
    },
    {
      name: "client-imports-only-protocol",
      severity: "error",
      from: { path: "^packages/client/", pathNot: TEST },
      to: { path: "^packages/(server|react)/|^apps/" },
    },
    {
      name: "react-imports-client-and-protocol",
      severity: "error",
      from: { path: "^packages/react/", pathNot: TEST },
      to: { path: "^packages/server/|^apps/" },
    },
    {
      name: "server-imports-only-protocol",
      severity: "error",
      comment: "Server and client never import each other; tests that need both spawn the CLI.",
      from: { path: "^packages/server/" },
      to: { path: "^packages/(client|react)/|^apps/" },
    },
    {
      name: "demo-imports-no-server",
      severity: "error",
      from: { path: "^apps/", pathNot: TEST },
      to: { path: "^packages/server/" },
    },
    {
      name: "parts-import-no-role-or-cli",
      severity: "error",
      comment: "Parts are composed by roles; a part that reaches up makes the roles' wiring circular.",
      from: { path: `${SERVER}${PARTS}/`, pathNot: TEST },
      to: { path: `${SERVER}(roles|cli)/|${SERVER}index[.]ts$` },
    },
    {
      name: "roles-import-no-cli",
      severity: "error",
      from: { path: `${SERVER}roles/`, pathNot: TEST },
      to: { path: `${SERVER}cli/` },
    },
    {
      name: "edge-worker-imports-only-portable-server",
      severity: "error",
      comment:
        "The Worker runs in workerd: of the server it imports only src/portable.ts, the parts without Node-only modules (docs/EDGE-WORKERS.md#what-the-do-edge-reuses).",
      from: { path: "^packages/edge-worker/", pathNot: TEST },
      to: { path: "^packages/(server|client|react)/|^apps/", pathNot: "^packages/server/src/portable[.]ts$" },
    },
    {
      name: "no-test-code-in-product",
      severity: "error",
      comment: "Product code never imports tests or test helpers.",
      from: { path: "^(packages|apps)/", pathNot: TEST },
      to: { path: TEST },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.check.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["source", "import", "require", "node", "default"],
      extensions: [".ts", ".tsx", ".js", ".mjs"],
    },
  },
};
