// Entry: read the URL, pick this tab's identity, create one SDK client, render.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.js";
import { readPageConfig } from "./config.js";
import { createDemoClient } from "./dev-auth.js";
import { demoEncryption } from "./e2ee.js";
import { loadIdentity } from "./identity.js";
import { createProbe } from "./probe.js";

function tabStorage(): Storage | undefined {
  try {
    return window.sessionStorage; // throws when storage is disabled
  } catch {
    return undefined;
  }
}

const config = readPageConfig(window.location);
const identity = loadIdentity(tabStorage(), new URL(window.location.href).searchParams);
const client = createDemoClient(config, identity);
const probe = createProbe(config.room);
window.__presence = probe;
document.title = `${identity.name} · ${config.room} — live cursors`;

// The key is imported (async) before the room is entered: encryption is read once per session.
void (
  config.keyText === undefined ? Promise.resolve(undefined) : demoEncryption(config.keyText, config.big)
).then((encryption) =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App client={client} config={config} identity={identity} probe={probe} encryption={encryption} />
    </StrictMode>,
  ),
);
