// Structural checks of deploy/compose against the code it starts and the files it
// mounts; deploy/container/container.integration.test.ts runs scaled.yml and
// split.yml for real. grafana.yml is checked only here: no Grafana image is
// reachable on the machine it was written on (docs/DEPLOY.md#grafana).
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { COMMANDS, envName, FLAGS } from "../../packages/server/src/cli/flags.js";
import { DEFAULT_ADMIN_PORT } from "../../packages/server/src/ops/admin-server.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const flagEnv = new Set(FLAGS.map((f) => envName(f.name)));

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML (compose merge keys `<<` resolved) is checked field by field.
type Doc = any;
function load(path: string): Doc {
  const docs = parseAllDocuments(readFileSync(path, "utf8"), { merge: true });
  expect(docs, path).toHaveLength(1);
  expect(docs[0]!.errors, path).toEqual([]);
  return docs[0]!.toJS();
}
const services = (file: string): [string, Doc][] => Object.entries<Doc>(load(`${here}${file}`).services);
const ours = (svc: Doc): boolean => String(svc.image).startsWith("${COLLABBLOCKS_IMAGE");
/** A compose volume `host:container:options`, the host side resolved against deploy/compose. */
const mounts = (svc: Doc): { host: string; container: string }[] =>
  svc.volumes.map((v: string) => {
    const [host, container] = v.split(":");
    return { host: resolve(here, host!), container: container! };
  });

describe("deploy/compose", () => {
  for (const file of ["scaled.yml", "split.yml"]) {
    it(`${file} sets only flag variables and runs CLI commands`, () => {
      const mine = services(file).filter(([, svc]) => ours(svc));
      expect(mine.length).toBeGreaterThan(2);
      for (const [name, svc] of mine) {
        expect(COMMANDS, name).toContain(svc.command[0]);
        const env = Object.keys(svc.environment ?? {}).filter((n) => n.startsWith("COLLABBLOCKS_"));
        expect(env.filter((n) => !flagEnv.has(n))).toEqual([]);
      }
    });
  }

  it("has Prometheus scrape every serve container's admin port, which binds beyond loopback", () => {
    const config = load(`${here}prometheus.yml`);
    const targets: string[] = config.scrape_configs.flatMap((j: Doc) => j.static_configs[0].targets);
    const serves = services("scaled.yml").filter(([, svc]) => ours(svc) && svc.command[0] === "serve");
    expect(targets.sort()).toEqual(serves.map(([name]) => `${name}:${DEFAULT_ADMIN_PORT}`).sort());
    for (const [, svc] of serves) expect(svc.environment[envName("admin-host")]).toBe("0.0.0.0");
    expect(config.rule_files).toEqual(["/etc/prometheus/alerts.yml"]);
  });
});

describe("deploy/compose/grafana.yml", () => {
  const scaled = Object.fromEntries(services("scaled.yml"));
  const all = services("grafana.yml");
  const [name, grafana] = all[0]!;
  const mounted = mounts(grafana);
  /** The file or directory of the repository mounted at `path` in the container. */
  const hostPath = (path: string): string => {
    const m = mounted.find((x) => path === x.container || path.startsWith(`${x.container}/`));
    expect(m, `a mount for ${path}`).toBeDefined();
    return join(m!.host, path.slice(m!.container.length));
  };
  const provisioning = (kind: string): Doc[] => {
    const dir = hostPath(`/etc/grafana/provisioning/${kind}`);
    expect(statSync(dir).isDirectory()).toBe(true);
    return ["prometheus.yml", "collabblocks.yml"]
      .filter((f) => existsSync(join(dir, f)))
      .map((f) => load(join(dir, f)));
  };

  it("adds one Grafana service, a pinned image, next to scaled.yml's Prometheus", () => {
    expect(name).toBe("grafana");
    expect(all).toHaveLength(1);
    expect(scaled.grafana).toBeUndefined();
    expect(grafana.image).toMatch(/grafana[^:]*:\d+\.\d+\.\d+\}$/);
    expect(grafana.depends_on).toEqual(["prometheus"]);
    for (const m of mounted) expect(existsSync(m.host), m.host).toBe(true);
  });

  it("provisions scaled.yml's Prometheus as the one default data source", () => {
    const [config] = provisioning("datasources");
    expect(config.apiVersion).toBe(1);
    expect(config.datasources).toHaveLength(1);
    const [ds] = config.datasources;
    expect(ds).toMatchObject({ type: "prometheus", access: "proxy", isDefault: true });
    const url = new URL(ds.url);
    const [, containerPort] = scaled[url.hostname].ports[0].split(":").slice(-2);
    expect(url.port).toBe(containerPort);
    // rate() windows start at the scrape interval.
    const interval = load(`${here}prometheus.yml`).global.scrape_interval;
    expect(ds.jsonData.timeInterval).toBe(interval);
    expect(ds.jsonData.manageAlerts).toBe(true);
  });

  it("provisions deploy/grafana/presence.json, which picks a Prometheus data source", () => {
    const [config] = provisioning("dashboards");
    expect(config.apiVersion).toBe(1);
    const [provider] = config.providers;
    expect(provider.type).toBe("file");
    const inDir = mounted.filter((m) => m.container.startsWith(`${provider.options.path}/`));
    expect(inDir.map((m) => m.host)).toEqual([resolve(here, "../grafana/presence.json")]);
    // deploy/grafana/dashboard.test.ts checks its queries against the server's metrics.
    const dashboard = JSON.parse(readFileSync(inDir[0]!.host, "utf8"));
    const variable = dashboard.templating.list.find((v: Doc) => v.type === "datasource");
    expect(variable.query).toBe("prometheus");
  });
});
