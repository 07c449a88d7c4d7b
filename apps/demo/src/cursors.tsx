// The shared canvas: my pointer becomes my presence `cursor` (normalised 0–1, so
// tabs of different sizes agree), and every other connection's cursor is drawn by the
// ready-made <LiveCursors /> (@collabblocks/react/ui): it glides between positions, and
// re-renders one cursor when one peer moves, not the whole canvas. A sealed cursor this tab
// cannot open (encrypted room, no key) is a Locked value, not a position: not drawn.
import type { User } from "@collabblocks/client";
import { LiveCursors } from "@collabblocks/react/ui";
import { type PointerEvent, useCallback } from "react";
import { clearText } from "./e2ee.js";
import {
  type DemoPresence,
  peerLabel,
  useMyPresence,
  useOthersConnectionIds,
  useStatus,
} from "./presence.js";
import { type PresenceProbe, recordSample, wallClockNow } from "./probe.js";

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

// The token's `info` carries each tab's chosen name and colour (dev-auth.ts), so a peer's cursor
// has the colour that peer sees next to "You are".
type DemoUser = User<DemoPresence>;
const nameOf = (u: DemoUser) => peerLabel(u.info, u.userId).name;
const colorOf = (u: DemoUser) => peerLabel(u.info, u.userId).color;
const labelOf = (u: DemoUser) => (
  <>
    {nameOf(u)}
    {clearText(u.status) && <span className="cursor-status">{clearText(u.status)}</span>}
  </>
);

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
  // The probe's "rendered" stamp: when a peer's new position is committed to this tab's DOM.
  const onTarget = useCallback(
    (connectionId: string, p: { x: number; y: number }) =>
      recordSample(probe.rendered, { connectionId, x: p.x, y: p.y, t: wallClockNow() }),
    [probe],
  );

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
      <LiveCursors<DemoPresence>
        units="fraction"
        name={nameOf}
        color={colorOf}
        label={labelOf}
        onTarget={onTarget}
      />
    </div>
  );
}
