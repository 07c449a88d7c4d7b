// A client socket for unit tests of parts that write to the server as a client
// would (the shadow mirror, dev's simulated participants): it records every frame
// sent, decoded, and the close code; each test adds how its peer answers.
import { EventEmitter } from "node:events";
import {
  type ClientMessage,
  decodeClientMessage,
  MessageType,
  type PresenceData,
} from "@collabblocks/protocol";

export class RecordingSocket extends EventEmitter {
  readyState = 0;
  bufferedAmount = 0;
  readonly sent: ClientMessage[] = [];
  closedWith: number | undefined;
  constructor(readonly url: string) {
    super();
  }
  send(data: Uint8Array): void {
    this.sent.push(decodeClientMessage(data));
  }
  /** The UPDATE_PRESENCE patches sent, in order. */
  patches(): { set: PresenceData; del: readonly string[] }[] {
    return this.sent.flatMap((m) =>
      m.type === MessageType.UPDATE_PRESENCE ? [{ set: m.set, del: m.del }] : [],
    );
  }
}
