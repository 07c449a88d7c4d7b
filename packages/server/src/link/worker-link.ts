// The pod's side of the Workers link (docs/EDGE-WORKERS.md#the-pod-link): a
// Durable Object edge (packages/edge-worker) asks the pod to connect to it, and the
// pod opens a WebSocket to the Worker's `/v1/link/{room}`, which the object accepts
// with the Hibernation API. The pod dials, not the object, because a Durable Object
// hibernates only while every socket it holds is one it accepted: an outgoing
// socket (fetch + Upgrade, or cloudflare:sockets) would keep every room with a
// member awake and billed (rejected alternative, measured in workerd: an object
// holding an outgoing WebSocket was never evicted).
//
// Each socket is one PodSession of one room, so room ownership, failover and
// epoch fencing are the pod's, exactly as for a gRPC stream (pod/pod.ts); frames
// are ws-frames.ts. Both directions carry the shared secret (`Authorization:
// Bearer`), and the pod only ever dials its configured Worker URL (a dial request
// names a room, never an address).
import type { IncomingMessage, ServerResponse } from "node:http";
import { isValidRoomId, ProtocolError } from "@collabblocks/protocol";
import type { Logger } from "pino";
import { WebSocket } from "ws";
import type { PodEndpoint } from "./frames.js";
import {
  DIAL_PATH_PREFIX,
  decodeEdgeFrame,
  encodePodFrame,
  LINK_PATH_PREFIX,
  sameSecret,
} from "./ws-frames.js";

/** The pod pings each object's socket this often and drops it after one unanswered ping, ms. */
export const WORKER_LINK_KEEPALIVE_MS = 2000;
/** A socket with more than this waiting unsent is dropped (the object re-dials and resyncs), bytes. */
export const WORKER_LINK_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

export interface WorkerLinkOptions {
  /** Base URL of the Worker, e.g. https://presence.example.workers.dev (`--worker-url`). */
  readonly workerUrl: string;
  /** Shared with the Worker's LINK_SECRET (`--worker-link-secret`). */
  readonly secret: string;
}

export interface WorkerLink {
  /** Handles a dial request; returns false when the request is not for this endpoint. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Open object sockets. */
  readonly sockets: number;
  /** Closes every object socket without expiring its connections (they live on through other pods). */
  close(): void;
}

export function createWorkerLink(
  endpoint: PodEndpoint,
  options: WorkerLinkOptions,
  logger: Logger,
): WorkerLink {
  const base = options.workerUrl.replace(/\/+$/, "").replace(/^http/, "ws");
  const sockets = new Map<string, WebSocket>();
  let closing = false;

  const dial = (roomId: string): void => {
    sockets.get(roomId)?.terminate(); // the object re-dials only when it lost its link
    const ws = new WebSocket(`${base}${LINK_PATH_PREFIX}${encodeURIComponent(roomId)}`, {
      headers: { authorization: `Bearer ${options.secret}` },
      perMessageDeflate: false,
    });
    sockets.set(roomId, ws);
    logger.info({ roomId }, "worker link dialling");
    const session = endpoint.openSession(`worker/${roomId}`, (frame) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > WORKER_LINK_MAX_BUFFERED_BYTES) {
        logger.warn({ roomId }, "worker link reads too slowly: dropped");
        ws.terminate();
        return;
      }
      ws.send(encodePodFrame(frame));
    });
    let alive = true;
    const keepalive = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, WORKER_LINK_KEEPALIVE_MS);
    keepalive.unref();
    ws.on("pong", () => {
      alive = true;
    });
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      try {
        if (!isBinary) throw new ProtocolError("MALFORMED_MESSAGE", "text link message");
        const frame = decodeEdgeFrame(data);
        if (frame.roomId !== roomId) throw new ProtocolError("MALFORMED_MESSAGE", "frame for another room");
        session.receive(frame);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        logger.warn({ roomId, err: err.message }, "malformed worker link frame dropped");
      }
    });
    ws.on("error", (err) => logger.warn({ roomId, err: err.message }, "worker link socket failed"));
    ws.on("close", () => {
      clearInterval(keepalive);
      if (sockets.get(roomId) === ws) sockets.delete(roomId);
      // A pod shutting down keeps the object's connections (they live on through the
      // pod it dials next); an object that went away takes them along (pod.ts).
      if (!closing) session.close();
    });
  };

  const answer = (res: ServerResponse, status: number, message: string): true => {
    res.writeHead(status, { "content-type": "text/plain" }).end(message);
    return true;
  };

  return {
    handle(req, res) {
      const path = (req.url ?? "").split("?")[0]!;
      if (!path.startsWith(DIAL_PATH_PREFIX)) return false;
      if (req.method !== "POST") return answer(res, 405, "POST only\n");
      const auth = req.headers.authorization ?? "";
      if (!sameSecret(auth, `Bearer ${options.secret}`)) return answer(res, 401, "bad link secret\n");
      let roomId: string;
      try {
        roomId = decodeURIComponent(path.slice(DIAL_PATH_PREFIX.length));
      } catch {
        return answer(res, 400, "bad room\n");
      }
      if (!isValidRoomId(roomId)) return answer(res, 400, "bad room\n");
      if (closing) return answer(res, 503, "shutting down\n");
      dial(roomId);
      return answer(res, 202, "dialling\n");
    },
    get sockets() {
      return sockets.size;
    },
    close() {
      closing = true;
      for (const ws of sockets.values()) ws.close(1012, "pod shutting down");
      sockets.clear();
    },
  };
}
