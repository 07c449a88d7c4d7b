// Honours `write()` returning false on a gRPC stream (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc). grpc-js streams
// are Node object-mode Duplexes: write() returns false once their buffer holds
// 16 messages and HTTP/2 flow control has stopped, and more writes would just
// pile up in memory. So once a write says false, further messages wait in our
// own queue until 'drain', and the queue is bounded: a peer that falls this far
// behind is treated as gone (the caller ends the stream; the edge then re-attaches
// and resyncs its rooms, which is cheaper than replaying a huge backlog).
// Rejected alternative: dropping individual frames, which would leave gaps that
// only a resync repairs anyway, and silently.

/** What the queue needs from a stream (a grpc-js call satisfies it). */
export interface WritableStream<T> {
  write(message: T): boolean;
  once(event: "drain", listener: () => void): unknown;
}

/** Default bound of the queue behind a paused stream, bytes of payload. */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;

export interface WriteQueueOptions<T> {
  readonly stream: WritableStream<T>;
  /** Payload size of a message, bytes (only used for the bound). */
  readonly sizeOf: (message: T) => number;
  /** Bound of what may wait, bytes (default 32 MB). */
  readonly maxQueuedBytes?: number;
  /** The bound was exceeded: the queue is cleared and the caller should end the stream. */
  readonly onOverflow: () => void;
}

export interface WriteQueue<T> {
  /** Writes now, or queues while the stream is paused. */
  push(message: T): void;
  /** Messages waiting for 'drain'. */
  readonly queued: number;
  readonly paused: boolean;
  /** Drops everything queued and ignores further pushes (the stream is gone). */
  close(): void;
}

export function createWriteQueue<T>(options: WriteQueueOptions<T>): WriteQueue<T> {
  const { stream, sizeOf } = options;
  const maxBytes = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
  let items: T[] = [];
  let head = 0;
  let bytes = 0;
  let paused = false;
  let closed = false;

  const pause = (): void => {
    paused = true;
    stream.once("drain", resume);
  };

  function resume(): void {
    if (closed) return;
    paused = false;
    while (head < items.length) {
      const message = items[head]!;
      items[head] = undefined as T; // let it be collected
      head++;
      bytes -= sizeOf(message);
      if (!stream.write(message)) {
        pause();
        break;
      }
    }
    if (head === items.length) {
      items = [];
      head = 0;
      bytes = 0;
    }
  }

  return {
    push(message) {
      if (closed) return;
      if (!paused) {
        if (!stream.write(message)) pause();
        return;
      }
      items.push(message);
      bytes += sizeOf(message);
      if (bytes > maxBytes) {
        closed = true;
        items = [];
        head = 0;
        bytes = 0;
        options.onOverflow();
      }
    },
    get queued() {
      return items.length - head;
    },
    get paused() {
      return paused;
    },
    close() {
      closed = true;
      items = [];
      head = 0;
      bytes = 0;
    },
  };
}
