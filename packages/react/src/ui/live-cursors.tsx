// <LiveCursors />: every other connection's cursor, gliding between the positions it
// receives (cursor-motion.ts), with a name label and a colour derived from the user id.
// Positions go to the DOM from the animator directly, not through React state: a glide is
// 3–7 frames per update, and re-rendering a cursor for each of them would cost more than
// receiving the update did. React renders a cursor only when its user changed.
import { DEFAULT_VIEW_FIELD, type Room, type User } from "@collabblocks/client";
import {
  type CSSProperties,
  memo,
  type ReactElement,
  type ReactNode,
  useLayoutEffect,
  useRef,
  useState,
} from "react";
import { useAnyRoom } from "../room-context.js";
import { shallow } from "../shallow.js";
import {
  browserFrames,
  type CursorMotion,
  createCursorMotion,
  type FrameSource,
  type Point,
} from "./cursor-motion.js";
import { useRoomValue } from "./use-room-value.js";
import { userColor, userName } from "./user-look.js";

export interface LiveCursorsProps<P extends object = object> {
  /** Presence field holding `{ x, y }`. Default: the room view's field, else `cursor`. */
  field?: string;
  /** `px`: pixels from the overlay's top-left corner (default); `fraction`: 0–1 of its width and height. */
  units?: "px" | "fraction";
  /** The room; default the nearest RoomProvider's. */
  room?: Room<P>;
  /** The label's text and the cursor's accessible name. Default: `info.name`, else the user id. */
  name?: (user: User<P>) => string;
  /** Default: derived from the user id (`userColor`). */
  color?: (user: User<P>) => string;
  /** The label's content. Default: the name. */
  label?: (user: User<P>) => ReactNode;
  /** Jump instead of glide. Default: the `prefers-reduced-motion: reduce` media query. */
  reducedMotion?: boolean;
  /** Clock and frames of the glide (tests). Default: performance.now and requestAnimationFrame. */
  frames?: FrameSource;
  /** Called once a new position of a cursor is committed to the DOM (measurements, analytics). */
  onTarget?: (connectionId: string, point: Point) => void;
  className?: string;
}

/** Reads `{x, y}` of finite numbers from a presence field; anything else draws no cursor. */
export function readPoint(user: User<object>, field: string): Point | null {
  const value = (user as Record<string, unknown>)[field];
  if (typeof value !== "object" || value === null) return null;
  const { x, y } = value as Record<string, unknown>;
  return typeof x === "number" && typeof y === "number" && Number.isFinite(x) && Number.isFinite(y)
    ? { x, y }
    : null;
}

const OVERLAY: CSSProperties = { position: "absolute", inset: 0, pointerEvents: "none", overflow: "hidden" };
const CURSOR: CSSProperties = {
  position: "absolute", // left/top belong to the animator (set on the first position)
  color: "var(--cb-cursor-color)",
  font: "var(--cb-cursor-font, 600 12px/1.3 system-ui, sans-serif)",
  whiteSpace: "nowrap",
  willChange: "left, top",
};
const LABEL: CSSProperties = {
  position: "absolute",
  left: "var(--cb-cursor-label-offset-x, 14px)",
  top: "var(--cb-cursor-label-offset-y, 16px)",
  padding: "var(--cb-cursor-label-padding, 2px 6px)",
  borderRadius: "var(--cb-cursor-label-radius, 4px)",
  background: "var(--cb-cursor-color)",
  color: "var(--cb-cursor-label-text, #fff)",
};
/** A block box: an inline svg would sit on the text baseline, a few pixels off the point. */
const ARROW_BOX: CSSProperties = { display: "block" };
const ARROW = "M1 1 L1 17 L5.5 13 L8.5 20.5 L11.5 19.2 L8.6 12 L14.5 12 Z";
const REDUCED_MOTION_QUERY = "(prefers-reduced-motion: reduce)";

const defaultName = (user: User<object>) => userName(user.info, user.userId);
const defaultColor = (user: User<object>) => userColor(user.userId);
const osPrefersReducedMotion = (): boolean =>
  typeof matchMedia === "function" && matchMedia(REDUCED_MOTION_QUERY).matches;

interface Shared {
  room: Room<object>;
  field: string;
  motion: CursorMotion;
  elements: Map<string, HTMLElement>;
  props: LiveCursorsProps;
}

/** Generic in your presence type `P`, so `name`, `color` and `label` read your fields typed. */
export function LiveCursors<P extends object = object>(typed: LiveCursorsProps<P>): ReactElement {
  const props = typed as unknown as LiveCursorsProps;
  const room = useAnyRoom(props.room);
  const field = props.field ?? room.getView()?.field ?? DEFAULT_VIEW_FIELD;
  const latest = useRef(props);
  latest.current = props;
  const [elements] = useState(() => new Map<string, HTMLElement>());
  const [motion] = useState(() => {
    const frames = props.frames ?? browserFrames();
    const unit = () => ((latest.current.units ?? "px") === "px" ? "px" : "%");
    const scale = () => (unit() === "%" ? 100 : 1);
    return createCursorMotion({
      frames,
      reducedMotion: () => latest.current.reducedMotion ?? osPrefersReducedMotion(),
      draw(id, p) {
        const el = elements.get(id);
        if (el === undefined) return;
        el.style.left = `${p.x * scale()}${unit()}`;
        el.style.top = `${p.y * scale()}${unit()}`;
      },
    });
  });
  useLayoutEffect(() => () => motion.dispose(), [motion]);
  const ids = useRoomValue(
    room,
    ["others"],
    room.getOthers,
    [] as readonly User<object>[],
    (others) => others.filter((o) => readPoint(o, field) !== null).map((o) => o.connectionId),
    shallow,
  );
  const shared: Shared = { room, field, motion, elements, props };
  return (
    <div className={props.className ?? "cb-live-cursors"} style={OVERLAY}>
      {ids.map((id) => (
        <Cursor key={id} connectionId={id} shared={shared} />
      ))}
    </div>
  );
}

const Cursor = memo(
  function Cursor({ connectionId, shared }: { connectionId: string; shared: Shared }) {
    const { room, field, motion, elements, props } = shared;
    const user = useRoomValue(
      room,
      ["others"],
      () => room.getOther(connectionId) ?? null,
      null,
      (u) => u,
      Object.is,
    );
    const point = user === null ? null : readPoint(user, field);
    const x = point?.x;
    const y = point?.y;
    // biome-ignore lint/correctness/useExhaustiveDependencies: a new position is new x/y, not a new user object
    useLayoutEffect(() => {
      if (x === undefined || y === undefined) return;
      motion.target(connectionId, { x, y });
      props.onTarget?.(connectionId, { x, y });
    }, [motion, connectionId, x, y]);
    useLayoutEffect(() => () => motion.remove(connectionId), [motion, connectionId]);
    if (user === null || point === null) return null;
    const name = (props.name ?? defaultName)(user);
    // A peer that dropped and may come back (PROTOCOL.md §9 PEER_LOST) is drawn faded, not removed.
    const reconnecting = user.reconnecting === true;
    const style = {
      ...CURSOR,
      "--cb-cursor-color": (props.color ?? defaultColor)(user),
      ...(reconnecting ? { opacity: "var(--cb-cursor-reconnecting-opacity, 0.35)" } : {}),
    } as CSSProperties;
    return (
      <div
        ref={(el) => {
          if (el === null) elements.delete(connectionId);
          else elements.set(connectionId, el);
        }}
        className="cb-cursor"
        data-connection-id={connectionId}
        data-name={name}
        data-reconnecting={reconnecting ? "" : undefined}
        data-x={point.x}
        data-y={point.y}
        style={style}
        role="img"
        aria-label={reconnecting ? `Cursor of ${name} (reconnecting)` : `Cursor of ${name}`}
      >
        <svg width="18" height="22" viewBox="0 0 18 22" aria-hidden="true" style={ARROW_BOX}>
          <path d={ARROW} fill="currentColor" stroke="var(--cb-cursor-outline, #fff)" />
        </svg>
        <span className="cb-cursor-label" style={LABEL}>
          {props.label ? props.label(user) : name}
        </span>
      </div>
    );
  },
  // The shared object is rebuilt at each LiveCursors render; only its parts matter.
  (a, b) => a.connectionId === b.connectionId && shallow(a.shared, b.shared),
);
