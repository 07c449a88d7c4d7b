// The default id of a pod or edge process: unique per process (host, pid, start
// time), so a restarted process never reuses its predecessor's consumer group or
// stream identity (docs/ARCHITECTURE.md "Identity and epochs").
import { hostname } from "node:os";

export function defaultPodId(): string {
  return `${hostname()}-${process.pid}-${Date.now().toString(36)}`;
}
