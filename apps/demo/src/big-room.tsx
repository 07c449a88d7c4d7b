// The big-room mode (`?big=1`): the room's space is a world four screens wide and
// four high; this tab sees a viewport of it, pans with the arrow keys or buttons,
// and declares that viewport as its view (PROTOCOL.md §8), so the server sends
// only the people in it — up to 200, the most recently active — however many are
// in the room. The panel counts everyone (occupancy) and can add simulated people
// (`POST /v1/dev/simulate` of `collabblocks dev`).
import { memo, type PointerEvent, useCallback, useEffect, useMemo, useState } from "react";
import type { PageConfig } from "./config.js";
import {
  peerLabel,
  useMyPresence,
  useOccupancy,
  useOther,
  useOthersConnectionIds,
  useView,
} from "./presence.js";

/** The viewport's side as a share of the world (4 × 4 screens). */
export const VIEWPORT = 0.25;
/** One pan step, as a share of the viewport. */
const PAN_STEP = 0.25;
/** Most people drawn at once (the view's cap). */
export const BIG_ROOM_CAP = 200;
/** People one click of the button adds. */
const SIMULATE_STEP = 500;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export interface Viewport {
  readonly x0: number;
  readonly y0: number;
}

/** Moves the viewport by whole steps, kept inside the world. */
export function pan(v: Viewport, dx: number, dy: number): Viewport {
  const step = VIEWPORT * PAN_STEP;
  return { x0: clamp(v.x0 + dx * step, 0, 1 - VIEWPORT), y0: clamp(v.y0 + dy * step, 0, 1 - VIEWPORT) };
}

const KEYS: Readonly<Record<string, readonly [number, number]>> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

export function BigRoomCanvas() {
  const update = useMyPresence();
  const ids = useOthersConnectionIds();
  const [viewport, setViewport] = useState<Viewport>({ x0: (1 - VIEWPORT) / 2, y0: (1 - VIEWPORT) / 2 });
  const rect = useMemo(
    () => ({ x0: viewport.x0, y0: viewport.y0, x1: viewport.x0 + VIEWPORT, y1: viewport.y0 + VIEWPORT }),
    [viewport],
  );
  useView({ rect, cap: BIG_ROOM_CAP });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const d = KEYS[e.key];
      if (d === undefined || (e.target as HTMLElement | null)?.tagName === "INPUT") return;
      e.preventDefault();
      setViewport((v) => pan(v, d[0], d[1]));
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const onPointerMove = useCallback(
    (e: PointerEvent<HTMLDivElement>) => {
      const box = e.currentTarget.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) return;
      const x = clamp((e.clientX - box.left) / box.width, 0, 1);
      const y = clamp((e.clientY - box.top) / box.height, 0, 1);
      update({ cursor: { x: rect.x0 + x * VIEWPORT, y: rect.y0 + y * VIEWPORT } });
    },
    [update, rect],
  );
  const onPointerLeave = useCallback(() => update({ cursor: null }), [update]);

  return (
    <div
      className="canvas canvas-big"
      data-testid="canvas"
      onPointerMove={onPointerMove}
      onPointerLeave={onPointerLeave}
      role="presentation"
    >
      <fieldset className="pan" aria-label="Pan the viewport">
        {(["ArrowUp", "ArrowLeft", "ArrowRight", "ArrowDown"] as const).map((key) => (
          <button
            key={key}
            type="button"
            aria-label={key.replace("Arrow", "Pan ")}
            onClick={() => setViewport((v) => pan(v, ...(KEYS[key] as [number, number])))}
          >
            {{ ArrowUp: "↑", ArrowLeft: "←", ArrowRight: "→", ArrowDown: "↓" }[key]}
          </button>
        ))}
      </fieldset>
      <p className="viewport-label" data-testid="viewport">
        viewport {Math.round(rect.x0 * 100)}–{Math.round(rect.x1 * 100)} × {Math.round(rect.y0 * 100)}–
        {Math.round(rect.y1 * 100)} % of the world
      </p>
      {ids.map((id) => (
        <WorldCursor key={id} connectionId={id} viewport={viewport} />
      ))}
    </div>
  );
}

const WorldCursor = memo(function WorldCursor({
  connectionId,
  viewport,
}: {
  connectionId: string;
  viewport: Viewport;
}) {
  const cursor = useOther(connectionId, (o) => o.cursor ?? null);
  const label = useOther(connectionId, (o) => peerLabel(o.info, o.userId));
  if (!cursor || !label) return null;
  const x = (cursor.x - viewport.x0) / VIEWPORT;
  const y = (cursor.y - viewport.y0) / VIEWPORT;
  if (x < 0 || x > 1 || y < 0 || y > 1) return null; // held by the margin, just off screen
  return (
    <div
      className="cursor cursor-small"
      data-testid="cursor"
      data-connection-id={connectionId}
      style={{ left: `${x * 100}%`, top: `${y * 100}%`, color: label.color }}
    >
      <svg width="12" height="15" viewBox="0 0 18 22" aria-hidden="true">
        <path
          d="M1 1 L1 17 L5.5 13 L8.5 20.5 L11.5 19.2 L8.6 12 L14.5 12 Z"
          fill="currentColor"
          stroke="white"
        />
      </svg>
      <span className="cursor-label" style={{ background: label.color }}>
        {label.name}
      </span>
    </div>
  );
});

/** Everyone in the room, whatever the viewport, and a button that adds simulated people. */
export function BigRoomPanel({ config }: { config: PageConfig }) {
  const occupancy = useOccupancy();
  const shown = useOthersConnectionIds().length;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const addPeople = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      const res = await fetch(new URL("/v1/dev/simulate", config.serverOrigin), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ room: config.room, count: SIMULATE_STEP }),
      });
      if (!res.ok)
        setError(`The server refused (${res.status}): simulated people need \`collabblocks dev\`.`);
    } catch {
      setError("Could not reach the server.");
    } finally {
      setBusy(false);
    }
  }, [config]);
  return (
    <section className="big-room" aria-label="Big room">
      <p className="occupancy" data-testid="occupancy">
        <strong>{occupancy?.users.toLocaleString() ?? "–"}</strong> people here (
        {occupancy?.connections.toLocaleString() ?? "–"} connections); {shown} in your view
        {occupancy && occupancy.omitted > 0 ? `, ${occupancy.omitted} more in it not shown` : ""}
      </p>
      <button type="button" onClick={addPeople} disabled={busy}>
        {busy ? "Adding…" : `Add ${SIMULATE_STEP} simulated people`}
      </button>
      <p className="hint">Pan with the arrow keys. The server sends you only who is in your viewport.</p>
      {error && <p className="notice">{error}</p>}
    </section>
  );
}
