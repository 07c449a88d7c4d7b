// The room of the nearest RoomProvider, whatever its presence type. Every RoomProvider
// (create-presence-hooks.tsx) provides it besides its own typed context, so the ready-made
// UI (`@collabblocks/react/ui`) works inside any hook set's provider without being handed
// the hooks. This module holds no UI: the main entry imports it, never ui/.
import type { Room } from "@collabblocks/client";
import { createContext, useContext } from "react";

export const AnyRoomContext = createContext<Room<object> | null>(null);

/** `room` when given, else the nearest RoomProvider's room; throws outside both. */
export function useAnyRoom<P extends object>(room?: Room<P>): Room<object> {
  const provided = useContext(AnyRoomContext);
  const chosen = (room as unknown as Room<object> | undefined) ?? provided;
  if (chosen === null) {
    throw new Error("@collabblocks/react/ui components need a `room` prop or a RoomProvider above them");
  }
  return chosen;
}
