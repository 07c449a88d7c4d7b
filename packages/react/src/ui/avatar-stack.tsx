// <AvatarStack />: one avatar per person in the room (the users view, so a person with three
// tabs shows once), at most `max`, then a "+N" badge; in a large room N comes from the server's
// occupancy count, since the client holds only a view's worth of people (PROTOCOL.md §8).
import type { Occupancy, PresenceUser, Room } from "@collabblocks/client";
import type { CSSProperties, ReactElement } from "react";
import { useAnyRoom } from "../room-context.js";
import { shallow } from "../shallow.js";
import { stackCount } from "./avatar-count.js";
import { useRoomValue } from "./use-room-value.js";
import { initials, userAvatar, userColor, userName } from "./user-look.js";

/** Avatars drawn before the "+N" badge when the app does not say. */
export const DEFAULT_AVATAR_MAX = 5;

export interface AvatarStackProps<P extends object = object> {
  /** Most avatars drawn (default DEFAULT_AVATAR_MAX); the rest are counted in "+N". */
  max?: number;
  /** The room; default the nearest RoomProvider's. */
  room?: Room<P>;
  /** Tooltip and accessible name. Default: `info.name`, else the user id. */
  name?: (user: PresenceUser<P>) => string;
  /** Default: derived from the user id (`userColor`), as LiveCursors does. */
  color?: (user: PresenceUser<P>) => string;
  /** Image URL. Default: `info.avatar` when it is an http(s) URL; else initials are drawn. */
  avatar?: (user: PresenceUser<P>) => string | undefined;
  className?: string;
}

const STACK: CSSProperties = {
  display: "flex",
  listStyle: "none",
  margin: 0,
  padding: 0,
  paddingInlineStart: "var(--cb-avatar-overlap, 8px)",
};
const AVATAR: CSSProperties = {
  boxSizing: "border-box",
  width: "var(--cb-avatar-size, 32px)",
  height: "var(--cb-avatar-size, 32px)",
  marginInlineStart: "calc(-1 * var(--cb-avatar-overlap, 8px))",
  borderRadius: "var(--cb-avatar-radius, 50%)",
  border: "var(--cb-avatar-border, 2px solid #fff)",
  display: "flex",
  alignItems: "center",
  justifyContent: "center",
  overflow: "hidden",
  font: "var(--cb-avatar-font, 600 12px/1 system-ui, sans-serif)",
  color: "var(--cb-avatar-text, #fff)",
  background: "var(--cb-avatar-color)",
};
const MORE: CSSProperties = {
  ...AVATAR,
  background: "var(--cb-avatar-more-background, #e0e0e0)",
  color: "var(--cb-avatar-more-text, #333)",
};
const IMAGE: CSSProperties = { width: "100%", height: "100%", objectFit: "cover" };

const EMPTY: readonly PresenceUser<object>[] = [];

/** Generic in your presence type `P`, like LiveCursors. */
export function AvatarStack<P extends object = object>(typed: AvatarStackProps<P>): ReactElement {
  const props = typed as unknown as AvatarStackProps;
  const room = useAnyRoom(props.room);
  const max = props.max ?? DEFAULT_AVATAR_MAX;
  const users = useRoomValue(room, ["others"], room.getUsers, EMPTY, (u) => u, Object.is);
  const occupancy = useRoomValue<Occupancy | null, Occupancy | null>(
    room,
    ["occupancy", "status"],
    room.getOccupancy,
    null,
    (o) => o,
    shallow,
  );
  const me = useRoomValue(
    room,
    ["status", "my-presence"],
    room.getSelf,
    null,
    (s) => s?.userId ?? null,
    Object.is,
  );
  const count = stackCount(users.length, occupancy, me !== null && users.some((u) => u.userId === me), max);
  const nameOf = props.name ?? ((u: PresenceUser<object>) => userName(u.info, u.userId));
  const colorOf = props.color ?? ((u: PresenceUser<object>) => userColor(u.userId));
  const avatarOf = props.avatar ?? ((u: PresenceUser<object>) => userAvatar(u.info));
  const label = count.total === 1 ? "1 other person here" : `${count.total} other people here`;
  return (
    <ul className={props.className ?? "cb-avatar-stack"} style={STACK} aria-label={label}>
      {users.slice(0, count.shown).map((user) => {
        const name = nameOf(user);
        const src = avatarOf(user);
        const style = { ...AVATAR, "--cb-avatar-color": colorOf(user) } as CSSProperties;
        return (
          <li key={user.userId} className="cb-avatar" data-user-id={user.userId} style={style} title={name}>
            {src === undefined ? (
              <span role="img" aria-label={name}>
                {initials(name)}
              </span>
            ) : (
              <img src={src} alt={name} style={IMAGE} />
            )}
          </li>
        );
      })}
      {count.more > 0 && (
        <li className="cb-avatar cb-avatar-more" style={MORE} title={`${count.more} more`}>
          <span role="img" aria-label={`${count.more} more`}>
            +{count.more}
          </span>
        </li>
      )}
    </ul>
  );
}
