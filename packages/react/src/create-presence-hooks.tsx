// React bindings: thin adapters over the vanilla SDK's `subscribe` + getters
// (CONTRIBUTING.md#habits (6)). Every hook reads through useSyncExternalStoreWithSelector, so a
// selector returning a fresh array re-renders only when `isEqual` says the
// selection changed (shallow by default), and server rendering reads a constant
// server snapshot ("initial", no self, no others) without touching the network.
//
// The hooks are made by a factory (the contract of packages/client/README.md#behaviour), so each call has its
// own context and `P`: two hook sets with different presence types can nest.
// biome-ignore-all lint/correctness/noComponentHookFactories: the factory is the public API; hooks close over its context
import type {
  Client,
  EncryptionOptions,
  Json,
  LostConnectionEvent,
  Occupancy,
  OthersEvent,
  PresenceError,
  PresenceUser,
  Room,
  RoomEvent,
  Status,
  User,
  ViewInput,
} from "@collabblocks/client";
import {
  createContext,
  type ReactElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
} from "react";
import { useSyncExternalStoreWithSelector } from "use-sync-external-store/with-selector";
import { AnyRoomContext } from "./room-context.js";
import { shallow } from "./shallow.js";

export interface RoomProviderProps<P extends object> {
  client: Client;
  /** Room id ([A-Za-z0-9._:-]{1,128}). Changing it leaves the old room and enters the new one. */
  id: string;
  /** Presence on entering. Read once per room session: later changes are ignored (use the updater). */
  initialPresence: P;
  /**
   * End-to-end encrypted presence (packages/client/README.md#end-to-end-encrypted-presence).
   * Read once per room session, like `initialPresence`: pass a stable key or resolver.
   */
  encryption?: EncryptionOptions;
  children?: ReactNode;
}

/** `E`: the app's broadcast event type (PROTOCOL.md §9), any JSON-like value; default Json. */
export interface PresenceHooks<P extends object, E extends Json = Json> {
  /**
   * Returns a `ReactElement`, not `ReactNode`: @types/react before 18.2.8 accepts only components
   * returning `ReactElement | null` in JSX (TS2786 otherwise), and apps still use those types.
   */
  RoomProvider(props: RoomProviderProps<P>): ReactElement;
  useRoom(): Room<P>;
  /**
   * The updater: `update({ cursor })` merges into my presence (undefined deletes a key). Stable.
   * Keys take `undefined` explicitly, so deleting type-checks under `exactOptionalPropertyTypes`.
   */
  useMyPresence(): (patch: { [K in keyof P]?: P[K] | undefined }) => void;
  useSelf(): User<P> | null;
  useSelf<T>(selector: (me: User<P>) => T, isEqual?: (a: T, b: T) => boolean): T | null;
  useOthers(): readonly User<P>[];
  useOthers<T>(selector: (others: readonly User<P>[]) => T, isEqual?: (a: T, b: T) => boolean): T;
  useOther(connectionId: string): User<P> | null;
  useOther<T>(
    connectionId: string,
    selector: (other: User<P>) => T,
    isEqual?: (a: T, b: T) => boolean,
  ): T | null;
  useOthersConnectionIds(): readonly string[];
  useStatus(): Status;
  /** The room's size (PROTOCOL.md §8), whatever this client's view; null before joining. */
  useOccupancy(): Occupancy | null;
  /**
   * Binds this client's view to a value (e.g. the app's viewport): declared while the
   * component is mounted and whenever its content changes (sent at most 10 times a
   * second), dropped on unmount. `null`: the room's default.
   */
  useView(view: ViewInput | null): void;
  /**
   * Calls `callback` with every error the room reports: refused updates (code and
   * field: show them to the user or fix the value), auth failures, fatal closes.
   * The latest callback is used; it does not re-subscribe on each render.
   */
  useErrorListener(callback: (error: PresenceError) => void): void;
  /** Everyone else, one entry per user (their tabs inside, the most recent one's presence). */
  useUsers(): readonly PresenceUser<P>[];
  /**
   * `[connectionId, selector(user)]` for everyone else; re-renders only when a
   * selected value changes (compared with `isEqual`, default shallow).
   */
  useOthersMapped<T>(
    selector: (other: User<P>) => T,
    isEqual?: (a: T, b: T) => boolean,
  ): readonly (readonly [string, T])[];
  /** Calls `callback` for each enter, update and leave of another connection (latest callback). */
  useOthersListener(callback: (event: OthersEvent<P>) => void): void;
  /** Calls `callback` with `lost`, `restored` or `failed` (for a toast; see lostConnectionTimeout). */
  useLostConnectionListener(callback: (event: LostConnectionEvent) => void): void;
  /**
   * A stable function that broadcasts an event to the room's other connections
   * (fire-and-forget, never stored or resent; see Room.broadcast). Returns false when
   * it was not sent: not connected, invalid (`INVALID_EVENT`) or over the rate budget
   * (`RATE_LIMITED`, shared with presence) — the last two also reach useErrorListener.
   */
  useBroadcastEvent(): (event: E) => boolean;
  /** Calls `callback` with each event another connection broadcasts (latest callback). */
  useEventListener(callback: (event: RoomEvent<P, E>) => void): void;
}

const EMPTY: readonly never[] = Object.freeze([]);
const identity = <T,>(value: T): T => value;
const serverStatus = (): Status => "initial";
const serverNull = () => null;
const serverEmpty = () => EMPTY;

/**
 * One user or null (self, or a peer by id) through an optional selector. Without a
 * selector the hook returns the SDK's user object, compared by identity; with one,
 * the selection, compared by `isEqual` (default shallow). Server rendering reads null.
 */
function useSelectedUser<U, T>(
  subscribe: (onChange: () => void) => () => void,
  getUser: () => U | null,
  selector: ((user: U) => T) | undefined,
  isEqual: ((a: T, b: T) => boolean) | undefined,
): T | U | null {
  const select = useCallback(
    (user: U | null) => (user === null ? null : selector ? selector(user) : user),
    [selector],
  );
  return useSyncExternalStoreWithSelector<U | null, T | U | null>(
    subscribe,
    getUser,
    serverNull,
    select,
    (selector ? (isEqual ?? shallow) : Object.is) as (a: T | U | null, b: T | U | null) => boolean,
  );
}

interface Session<P extends object> {
  readonly client: Client;
  readonly id: string;
  readonly room: Room<P>;
  readonly leave: () => void;
  left: boolean;
}

export function createPresenceHooks<P extends object, E extends Json = Json>(): PresenceHooks<P, E> {
  const RoomContext = createContext<Room<P> | null>(null);

  /** Enters without I/O: rendering (and SSR) must not open sockets; the effect connects. */
  const enter = (
    client: Client,
    id: string,
    initialPresence: P,
    encryption?: EncryptionOptions,
  ): Session<P> => ({
    client,
    id,
    ...client.enterRoom<P>(id, { initialPresence, autoConnect: false, encryption }),
    left: false,
  });

  function RoomProvider({
    client,
    id,
    initialPresence,
    encryption,
    children,
  }: RoomProviderProps<P>): ReactElement {
    const [session, setSession] = useState(() => enter(client, id, initialPresence, encryption));
    // biome-ignore lint/correctness/useExhaustiveDependencies: initialPresence and encryption are read once per session by design; `session` is the render's current value
    useEffect(() => {
      let current = session;
      // A new client/id, or a session a StrictMode double-effect already left: enter afresh.
      if (current.left || current.client !== client || current.id !== id) {
        current = enter(client, id, initialPresence, encryption);
        setSession(current);
      }
      current.room.connect();
      return () => {
        current.left = true;
        current.leave();
      };
    }, [client, id]);
    return (
      <RoomContext.Provider value={session.room}>
        <AnyRoomContext.Provider value={session.room as Room<object>}>{children}</AnyRoomContext.Provider>
      </RoomContext.Provider>
    );
  }

  function useRoom(): Room<P> {
    const room = useContext(RoomContext);
    if (room === null) throw new Error("presence hooks must be used inside their RoomProvider");
    return room;
  }

  function useMyPresence(): (patch: { [K in keyof P]?: P[K] | undefined }) => void {
    const room = useRoom();
    return useCallback((patch: { [K in keyof P]?: P[K] | undefined }) => room.updatePresence(patch), [room]);
  }

  function useSelf<T>(selector?: (me: User<P>) => T, isEqual?: (a: T, b: T) => boolean): T | User<P> | null {
    const room = useRoom();
    const subscribe = useCallback(
      (onChange: () => void) => {
        const offPresence = room.subscribe("my-presence", onChange);
        const offStatus = room.subscribe("status", onChange);
        return () => {
          offPresence();
          offStatus();
        };
      },
      [room],
    );
    return useSelectedUser(subscribe, room.getSelf, selector, isEqual);
  }

  function useOthers<T>(
    selector?: (others: readonly User<P>[]) => T,
    isEqual?: (a: T, b: T) => boolean,
  ): T | readonly User<P>[] {
    const room = useRoom();
    const subscribe = useCallback((onChange: () => void) => room.subscribe("others", onChange), [room]);
    return useSyncExternalStoreWithSelector<readonly User<P>[], T | readonly User<P>[]>(
      subscribe,
      room.getOthers,
      serverEmpty,
      selector ?? identity,
      (isEqual ?? shallow) as (a: T | readonly User<P>[], b: T | readonly User<P>[]) => boolean,
    );
  }

  function useOther<T>(
    connectionId: string,
    selector?: (other: User<P>) => T,
    isEqual?: (a: T, b: T) => boolean,
  ): T | User<P> | null {
    const room = useRoom();
    const subscribe = useCallback((onChange: () => void) => room.subscribe("others", onChange), [room]);
    const getOther = useCallback(() => room.getOther(connectionId) ?? null, [room, connectionId]);
    return useSelectedUser(subscribe, getOther, selector, isEqual);
  }

  const selectIds = (others: readonly User<P>[]) => others.map((o) => o.connectionId);
  function useOthersConnectionIds(): readonly string[] {
    return useOthers(selectIds, shallow) as readonly string[];
  }

  function useStatus(): Status {
    const room = useRoom();
    const subscribe = useCallback((onChange: () => void) => room.subscribe("status", onChange), [room]);
    return useSyncExternalStoreWithSelector(subscribe, room.getStatus, serverStatus, identity);
  }

  function useOccupancy(): Occupancy | null {
    const room = useRoom();
    const subscribe = useCallback(
      (onChange: () => void) => {
        const offOccupancy = room.subscribe("occupancy", onChange);
        const offStatus = room.subscribe("status", onChange);
        return () => {
          offOccupancy();
          offStatus();
        };
      },
      [room],
    );
    return useSyncExternalStoreWithSelector(subscribe, room.getOccupancy, serverNull, identity);
  }

  /** Subscribes the latest `callback` to a room event once per room. */
  function useRoomListener<A extends unknown[]>(
    subscribe: (room: Room<P>, listener: (...args: A) => void) => () => void,
    callback: (...args: A) => void,
  ): void {
    const room = useRoom();
    const latest = useRef(callback);
    latest.current = callback;
    // biome-ignore lint/correctness/useExhaustiveDependencies: `subscribe` is a module-level function per hook
    useEffect(() => subscribe(room, (...args) => latest.current(...args)), [room]);
  }

  function useErrorListener(callback: (error: PresenceError) => void): void {
    useRoomListener((room, listener) => room.subscribe("error", listener), callback);
  }

  function useOthersListener(callback: (event: OthersEvent<P>) => void): void {
    useRoomListener(
      (room, listener: (event: OthersEvent<P>) => void) =>
        room.subscribe("others", (_others, event) => {
          if (event.type !== "reset") listener(event);
        }),
      callback,
    );
  }

  function useLostConnectionListener(callback: (event: LostConnectionEvent) => void): void {
    useRoomListener((room, listener) => room.subscribe("lost-connection", listener), callback);
  }

  function useBroadcastEvent(): (event: E) => boolean {
    const room = useRoom();
    return useCallback((event: E) => room.broadcast(event), [room]);
  }

  function useEventListener(callback: (event: RoomEvent<P, E>) => void): void {
    // The server relays only what passed validateEvent; the app's E is its own promise.
    useRoomListener(
      (room, listener: (event: RoomEvent<P, E>) => void) =>
        room.subscribe("event", (event) => listener(event as RoomEvent<P, E>)),
      callback,
    );
  }

  function useUsers(): readonly PresenceUser<P>[] {
    const room = useRoom();
    const subscribe = useCallback((onChange: () => void) => room.subscribe("others", onChange), [room]);
    return useSyncExternalStoreWithSelector(subscribe, room.getUsers, serverEmpty, identity);
  }

  function useOthersMapped<T>(
    selector: (other: User<P>) => T,
    isEqual: (a: T, b: T) => boolean = shallow,
  ): readonly (readonly [string, T])[] {
    const mapAll = useCallback(
      (others: readonly User<P>[]) => others.map((o) => [o.connectionId, selector(o)] as const),
      [selector],
    );
    const sameList = useCallback(
      (a: readonly (readonly [string, T])[], b: readonly (readonly [string, T])[]) =>
        a.length === b.length && a.every(([id, v], i) => id === b[i]![0] && isEqual(v, b[i]![1])),
      [isEqual],
    );
    return useOthers(mapAll, sameList) as readonly (readonly [string, T])[];
  }

  function useView(view: ViewInput | null): void {
    const room = useRoom();
    // Content, not identity: a viewport object rebuilt each render declares nothing new.
    const key = view === null ? "null" : JSON.stringify(view);
    // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `view`'s content
    useEffect(() => room.setView(view), [room, key]);
    useEffect(() => () => room.setView(null), [room]);
  }

  return {
    RoomProvider,
    useRoom,
    useMyPresence,
    useSelf: useSelf as PresenceHooks<P, E>["useSelf"],
    useOthers: useOthers as PresenceHooks<P, E>["useOthers"],
    useOther: useOther as PresenceHooks<P, E>["useOther"],
    useOthersConnectionIds,
    useStatus,
    useOccupancy,
    useView,
    useErrorListener,
    useUsers,
    useOthersMapped,
    useOthersListener,
    useLostConnectionListener,
    useBroadcastEvent,
    useEventListener,
  };
}
