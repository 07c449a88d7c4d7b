// The side panel: connection badge, my name and status text, and who else is here.
import { isLocked, type Json, type PresenceUser, type Status } from "@collabblocks/client";
import { AvatarStack } from "@collabblocks/react/ui";
import { type ChangeEvent, memo, useCallback, useState } from "react";
import { clearText, newKeyFragment } from "./e2ee.js";
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
  const status = useOther(connectionId, (o) => clearText(o.status));
  // Sealed fields this tab has no key for (docs/E2EE.md#locked-fields).
  const locked = useOther(connectionId, (o) => isLocked(o.status) || isLocked(o.cursor));
  if (!label) return null;
  return (
    <li data-testid="person" data-connection-id={connectionId} data-peer-status={status}>
      <span className="dot" style={{ background: label.color }} />
      {label.name}
      {status && <span className="person-status"> — {status}</span>}
      {locked && (
        <span
          className="badge badge-locked"
          data-testid="locked-badge"
          title="encrypted: open the room's link to read"
        >
          🔒 locked
        </span>
      )}
    </li>
  );
});

/** The "encrypted room" switch: on makes a fresh key in the URL fragment, off drops it; either reloads. */
export function EncryptionToggle({ encrypted }: { encrypted: boolean }) {
  const toggle = () => {
    window.location.hash = encrypted ? "" : newKeyFragment();
    window.location.reload();
  };
  return (
    <label className="e2ee-toggle" title="The key stays in the URL fragment: never sent to the server">
      <input type="checkbox" data-testid="e2ee-toggle" checked={encrypted} onChange={toggle} />
      {encrypted ? "🔒 Encrypted room" : "Encrypted room"}
    </label>
  );
}
