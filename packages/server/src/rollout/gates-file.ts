// The gates file (`--gates-file path`, gates.ts for its meaning), combined with
// the `--allow-plans` / `--allow-orgs` flags. Changeable without a restart: it is
// re-read on SIGHUP (the caller calls reload()) and watched with fs.watchFile, a
// stat poll, because it also sees atomic renames and Kubernetes ConfigMap symlink
// swaps, which fs.watch misses or reports on the wrong inode. A file that cannot
// be read or parsed on reload keeps the previous gates and reports one error; at
// start loadGates() throws and the CLI exits 2. A missing file is an error, not
// "no gates": deleting the file by mistake must not open presence to everyone.
import { readFileSync, type Stats, type StatWatcher, unwatchFile, watchFile } from "node:fs";
import { buildGates, type GateSpec, type Gates, parseGatesJson, sameGates } from "./gates.js";

/** How often the gates file is stat'ed for changes, ms. */
export const GATES_WATCH_INTERVAL_MS = 1000;

/** Reads the file (if any) and combines it with the flags. Throws Error with a one-line message. */
export function loadGates(file: string | undefined, flags: GateSpec): Gates {
  if (file === undefined) return buildGates(flags);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`--gates-file ${file}: cannot read it (${e.code ?? e.message})`);
  }
  try {
    return buildGates(flags, parseGatesJson(text));
  } catch (err) {
    throw new Error(`--gates-file ${file}: ${(err as Error).message}`);
  }
}

export interface GatesWatcherOptions {
  readonly file: string | undefined;
  readonly flags: GateSpec;
  /** The gates in force (from loadGates at start). */
  readonly initial: Gates;
  /** New gates were loaded (not called when a reload finds the same gates). */
  readonly onChange: (gates: Gates) => void;
  /** A reload failed; the previous gates stay. */
  readonly onError: (message: string) => void;
  readonly intervalMs?: number;
}

export interface GatesWatcher {
  /** Re-reads the file now (SIGHUP). Returns false when it failed and the old gates stay. */
  reload(): boolean;
  close(): void;
}

export function createGatesWatcher(options: GatesWatcherOptions): GatesWatcher {
  const { file, flags } = options;
  let current = options.initial;
  const reload = (): boolean => {
    let next: Gates;
    try {
      next = loadGates(file, flags);
    } catch (err) {
      options.onError((err as Error).message);
      return false;
    }
    if (!sameGates(current, next)) {
      current = next;
      options.onChange(next);
    }
    return true;
  };
  let watcher: StatWatcher | undefined;
  const listener = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
    reload();
  };
  if (file !== undefined) {
    // persistent: false — the watcher must not keep the process alive after shutdown.
    watcher = watchFile(
      file,
      { interval: options.intervalMs ?? GATES_WATCH_INTERVAL_MS, persistent: false },
      listener,
    );
  }
  return {
    reload,
    close() {
      if (watcher && file !== undefined) unwatchFile(file, listener);
      watcher = undefined;
    },
  };
}
