// The side panel: connection badge, my name and status text, and who else is here.
import type { Json, PresenceUser, Status } from "@collabblocks/client";
import { AvatarStack } from "@collabblocks/react/ui";
import { type ChangeEvent, memo, useCallback, useState } from "react";
import type { Identity } from "./identity.js";
import {
  type DemoPresence,
  MAX_STATUS_LENGTH,
  peerLabel,
  useMyPresence,
  useOther,
  useOthersConnectionIds,
  useStatus,
} from "./presence.js";

const STATUS_TEXT: Readonly<Record<Status, string>> = {
  initial: "Starting",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected",
};

export function StatusBadge() {
  const status = useStatus();
  return (
    <span className={`badge badge-${status}`} data-testid="status-badge" data-status={status} role="status">
      {STATUS_TEXT[status]}
    </span>
  );
}

const avatarName = (u: PresenceUser<DemoPresence>) => peerLabel(u.info as Json, u.userId).name;
const avatarColor = (u: PresenceUser<DemoPresence>) => peerLabel(u.info as Json, u.userId).color;

/** Who else is here, one avatar per person (a person with two tabs shows once): the ready-made AvatarStack. */
export function Avatars() {
  return (
    <div className="avatars" data-testid="avatars">
      <AvatarStack<DemoPresence> max={5} name={avatarName} color={avatarColor} />
    </div>
  );
}

export function StatusInput() {
  const update = useMyPresence();
  const [text, setText] = useState("");
  const onChange = useCallback(
    (e: ChangeEvent<HTMLInputElement>) => {
      setText(e.target.value);
      update({ status: e.target.value });
    },
    [update],
  );
  return (
    <label className="field">
      <span>Your status</span>
      <input
        data-testid="status-input"
        value={text}
        onChange={onChange}
        maxLength={MAX_STATUS_LENGTH}
        placeholder="e.g. reviewing the header"
      />
    </label>
  );
}

export function People({ identity }: { identity: Identity }) {
  const ids = useOthersConnectionIds();
  return (
    <section className="people">
      <h2>Here now ({ids.length + 1})</h2>
      <ul>
        <li>
          <span className="dot" style={{ background: identity.color }} />
          <strong>{identity.name}</strong> <em>(you)</em>
        </li>
        {ids.map((id) => (
          <Person key={id} connectionId={id} />
        ))}
      </ul>
    </section>
  );
}

const Person = memo(function Person({ connectionId }: { connectionId: string }) {
  const label = useOther(connectionId, (o) => peerLabel(o.info, o.userId));
  const status = useOther(connectionId, (o) => o.status ?? "");
  if (!label) return null;
  return (
    <li data-testid="person" data-connection-id={connectionId} data-peer-status={status}>
      <span className="dot" style={{ background: label.color }} />
      {label.name}
      {status && <span className="person-status"> — {status}</span>}
    </li>
  );
});
