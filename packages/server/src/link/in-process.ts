// The in-process link (dev and single modes): edge and pod in one process, frames
// passed by reference with no copy and no encoding. Calls are synchronous both
// ways, which the edge and pod tolerate because the gRPC link is asynchronous.
import { createEdgeLink, type EdgeLink } from "./edge-link.js";
import type { PodEndpoint } from "./frames.js";

export function createInProcessLink(pod: PodEndpoint, edgeId: string): EdgeLink {
  return createEdgeLink((onFrame) => {
    const session = pod.openSession(edgeId, onFrame);
    let open = true;
    return {
      send(frame) {
        if (open) session.receive(frame);
      },
      get ready() {
        return open;
      },
      close() {
        if (!open) return;
        open = false;
        session.close();
      },
    };
  });
}
