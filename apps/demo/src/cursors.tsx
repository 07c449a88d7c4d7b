// The shared canvas: my pointer becomes my presence `cursor` (normalised 0–1, so
// tabs of different sizes agree), and every other connection's cursor is drawn
// with its name label. Each cursor subscribes to its own connection only
// (`useOther`), so one peer moving re-renders one cursor, not the whole canvas.
import { isLocked } from "@collabblocks/client";
import { memo, type PointerEvent, useCallback, useLayoutEffect } from "react";
import { clearText } from "./e2ee.js";
import { peerLabel, useMyPresence, useOther, useOthersConnectionIds, useStatus } from "./presence.js";
import { type PresenceProbe, recordSample, wallClockNow } from "./probe.js";

/** Past this x (normalised) the name label goes left of the arrow, so it is not clipped at the edge. */
const FLIP_LABEL_AFTER_X = 0.8;

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

export function CursorCanvas({ probe }: { probe: PresenceProbe }) {
  const update = useMyPresence();
  const ids = useOthersConnectionIds();
  // "Open another tab" only helps while connected; offline, the status badge says what is wrong.
  const status = useStatus();

  const onPointerMove = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      const rect = e.currentTarget.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) return;
      const cursor = {
        x: clamp01((e.clientX - rect.left) / rect.width),
        y: clamp01((e.clientY - rect.top) / rect.height),
      };
      recordSample(probe.sent, { ...cursor, t: wallClockNow() });
      update({ cursor });
    },
    [update, probe],
  );
  const onPointerLeave = useCallback(() => update({ cursor: null }), [update]);

  return (
    <div
      className="canvas"
      data-testid="canvas"
      onPointerMove={onPointerMove}
      onPointerLeave={onPointerLeave}
      role="presentation"
    >
      {ids.length === 0 && status === "connected" && (
        <p className="canvas-hint">Open this page in another tab and move the mouse.</p>
      )}
      {ids.map((id) => (
        <Cursor key={id} connectionId={id} probe={probe} />
      ))}
    </div>
  );
}

const Cursor = memo(function Cursor({ connectionId, probe }: { connectionId: string; probe: PresenceProbe }) {
  const cursor = useOther(connectionId, (o) => (isLocked(o.cursor) ? null : (o.cursor ?? null))); // locked: not drawn
  const label = useOther(connectionId, (o) => peerLabel(o.info, o.userId));
  const status = useOther(connectionId, (o) => clearText(o.status));

  useLayoutEffect(() => {
    if (cursor) recordSample(probe.rendered, { connectionId, x: cursor.x, y: cursor.y, t: wallClockNow() });
  }, [cursor, connectionId, probe]);

  if (!cursor || !label) return null;
  return (
    <div
      className={cursor.x > FLIP_LABEL_AFTER_X ? "cursor cursor-flipped" : "cursor"}
      data-testid="cursor"
      data-connection-id={connectionId}
      data-name={label.name}
      data-x={cursor.x}
      data-y={cursor.y}
      style={{ left: `${cursor.x * 100}%`, top: `${cursor.y * 100}%`, color: label.color }}
    >
      <svg width="18" height="22" viewBox="0 0 18 22" aria-hidden="true">
        <path
          d="M1 1 L1 17 L5.5 13 L8.5 20.5 L11.5 19.2 L8.6 12 L14.5 12 Z"
          fill="currentColor"
          stroke="white"
        />
      </svg>
      <span className="cursor-label" style={{ background: label.color }}>
        {label.name}
        {status && <span className="cursor-status">{status}</span>}
      </span>
    </div>
  );
});
