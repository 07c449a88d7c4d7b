// One room value for the UI components, read like the hooks read theirs
// (create-presence-hooks.tsx): through useSyncExternalStoreWithSelector, re-rendering only when
// the selection changes, and reading `serverValue` under server rendering.
import type { Room, RoomEvents } from "@collabblocks/client";
import { useCallback } from "react";
import { useSyncExternalStoreWithSelector } from "use-sync-external-store/shim/with-selector";

export function useRoomValue<S, T>(
  room: Room<object>,
  events: readonly (keyof RoomEvents<object>)[],
  get: () => S,
  serverValue: S,
  select: (value: S) => T,
  isEqual: (a: T, b: T) => boolean,
): T {
  const key = events.join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `events`' content
  const subscribe = useCallback(
    (onChange: () => void) => {
      const offs = events.map((event) => room.subscribe(event, onChange));
      return () => {
        for (const off of offs) off();
      };
    },
    [room, key],
  );
  return useSyncExternalStoreWithSelector(subscribe, get, () => serverValue, select, isEqual);
}
