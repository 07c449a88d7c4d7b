// Peer: y-websocket awareness, served by @y/websocket-server 0.1.1 unchanged
// (`setupWSConnection`: one Y.Doc per room, the room being the URL path). Each
// awareness update is applied to the doc's Awareness, re-encoded once and sent
// to every socket of the room, the sender's included.
import { setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";
import { createPlainHttpServer, listen, peerFlags } from "./peer-common.mjs";

const { port } = peerFlags();
const server = createPlainHttpServer();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => setupWSConnection(ws, req));
});
listen(server, port);
