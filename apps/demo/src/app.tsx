// The page: one room (from `?room=`), a canvas of live cursors, and a side panel.
import type { Client, EncryptionOptions } from "@collabblocks/client";
import { useEffect, useState } from "react";
import { BigRoomCanvas, BigRoomPanel } from "./big-room.js";
import type { PageConfig } from "./config.js";
import { CursorCanvas } from "./cursors.js";
import type { Identity } from "./identity.js";
import { noticeFor } from "./notice-text.js";
import { Avatars, EncryptionToggle, People, StatusBadge, StatusInput } from "./panel.js";
import { INITIAL_PRESENCE, RoomProvider, useRoom, useStatus } from "./presence.js";
import type { PresenceProbe } from "./probe.js";

export interface AppProps {
  readonly client: Client;
  readonly config: PageConfig;
  readonly identity: Identity;
  readonly probe: PresenceProbe;
  /** Set when the URL carries the room key (e2ee.ts). */
  readonly encryption?: EncryptionOptions | undefined;
}

export function App({ client, config, identity, probe, encryption }: AppProps) {
  return (
    <RoomProvider client={client} id={config.room} initialPresence={INITIAL_PRESENCE} encryption={encryption}>
      <div className="layout">
        <header className="header">
          <h1>{config.big ? "Big room" : "Live cursors"}</h1>
          <span className="room">
            room <code data-testid="room">{config.room}</code>
          </span>
          <EncryptionToggle encrypted={encryption !== undefined} />
          <StatusBadge />
          {!config.big && <Avatars />}
        </header>
        {config.big ? <BigRoomCanvas /> : <CursorCanvas probe={probe} />}
        <aside className="panel">
          <p className="me">
            You are{" "}
            <strong className="me-name" style={{ color: identity.color }} data-testid="my-name">
              {identity.name}
            </strong>
          </p>
          <StatusInput />
          {config.big && <BigRoomPanel config={config} />}
          <People identity={identity} />
          <Notices roomRejected={config.roomRejected} />
          <ProbeSync probe={probe} />
        </aside>
      </div>
    </RoomProvider>
  );
}

/** Errors and long outages, in words; the SDK keeps retrying on its own. */
function Notices({ roomRejected }: { roomRejected: string | undefined }) {
  const room = useRoom();
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    const offError = room.subscribe("error", (e) => setNotice(noticeFor(e)));
    const offLost = room.subscribe("lost-connection", (event) =>
      setNotice(
        event === "lost"
          ? "Connection lost; retrying…"
          : event === "restored"
            ? null
            : "Gave up reconnecting.",
      ),
    );
    return () => {
      offError();
      offLost();
    };
  }, [room]);
  return (
    <>
      {roomRejected !== undefined && (
        <p className="notice">
          “{roomRejected}” is not a valid room id (letters, digits, <code>._:-</code>, up to 128); using the
          default room.
        </p>
      )}
      {notice && (
        <p className="notice" data-testid="notice">
          {notice}
        </p>
      )}
    </>
  );
}

/** Mirrors the room's connection id and status into `window.__presence` for tests. */
function ProbeSync({ probe }: { probe: PresenceProbe }) {
  const room = useRoom();
  const status = useStatus();
  useEffect(() => {
    probe.connectionId = room.connectionId;
    probe.status = status;
  }, [probe, room, status]);
  return null;
}
