// Server-side measurements from /proc (Linux): CPU time and memory of the
// measured processes, read by the coordinator so the servers need no hooks.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

/** Kernel clock ticks per second for /proc/<pid>/stat utime/stime (`getconf CLK_TCK`; 100 on Linux). */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) of a process, µs; null when it is gone. Resolution 1/CLK_TCK s (10 ms). */
export function cpuTimeUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after the parenthesised command name (which may contain spaces).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) / CLK_TCK) * 1e6;
  } catch {
    return null;
  }
}

/** Resident set and its peak, bytes; null when the process is gone. */
export function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "latin1");
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return null;
  }
}

export function sumCpuUs(pids) {
  return pids.reduce((sum, pid) => sum + (cpuTimeUs(pid) ?? 0), 0);
}

export function sumRss(pids) {
  return pids.reduce((sum, pid) => sum + (memory(pid)?.rss ?? 0), 0);
}

/**
 * Core layout: with `taskset` and ≥ 2 cores, servers get core 0 and the load
 * generator the others, so neither steals the other's CPU and "server CPU per
 * update" is not inflated by the generator. On one core nothing is pinned.
 */
export function pinning() {
  // os.cpus(), not availableParallelism(): the latter follows our own affinity, which
  // is one core once the coordinator has pinned itself to the generator's core.
  const cores = os.cpus().length;
  const taskset = ["/usr/bin/taskset", "/bin/taskset"].find((p) => existsSync(p)) ?? null;
  if (taskset === null || cores < 2) return { enabled: false, cores, serverCpus: null, generatorCpus: null };
  return {
    enabled: true,
    cores,
    taskset,
    serverCpus: "0",
    generatorCpus: cores === 2 ? "1" : `1-${cores - 1}`,
  };
}

/** Pins a running process (all its threads) to a CPU list; ignores failures (the report says). */
export function pinPid(pid, cpus, pin = pinning()) {
  if (!pin.enabled || cpus === null) return false;
  try {
    execFileSync(pin.taskset, ["-a", "-cp", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU times of one CPU since boot, µs, from /proc/stat. Over a window,
 * busyUs(server core) − the measured processes' CPU = work of other processes on
 * the server's core (the interference indicator); softirqUs is mostly the
 * kernel's loopback network receive work, done for the server's own sockets too.
 * busyUs: user + nice + system + irq + steal; softirqUs: softirq.
 */
export function cpuTimes(cpu) {
  try {
    const line = readFileSync("/proc/stat", "latin1")
      .split("\n")
      .find((l) => l.startsWith(`cpu${cpu} `));
    if (line === undefined) return null;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const us = (ticks) => (ticks / CLK_TCK) * 1e6;
    return { busyUs: us(user + nice + system + irq + steal), softirqUs: us(softirq) };
  } catch {
    return null;
  }
}

/** CPU numbers of a taskset list ("1", "1-3", "0,2"). */
export function cpuList(spec) {
  if (spec === null) return [];
  return spec.split(",").flatMap((part) => {
    const [lo, hi = lo] = part.split("-").map(Number);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
}

/** Busy time (user + nice + system + irq + steal + softirq) of a set of CPUs since boot, µs. */
export function cpusBusyUs(cpus) {
  return cpus.reduce((sum, cpu) => {
    const t = cpuTimes(cpu);
    return sum + (t === null ? 0 : t.busyUs + t.softirqUs);
  }, 0);
}
