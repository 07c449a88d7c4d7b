export { createPresenceHooks, type PresenceHooks, type RoomProviderProps } from "./create-presence-hooks.js";
export { shallow } from "./shallow.js";
