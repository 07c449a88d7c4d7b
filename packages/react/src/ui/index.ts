// `@collabblocks/react/ui`: ready-made presence UI. A separate entry point so apps that draw
// their own skip it (the main entry never imports this folder). Styling is inline with CSS
// custom properties (packages/react/README.md#theming): no stylesheet to import and no
// CSS-in-JS dependency.
export { type StackCount, stackCount } from "./avatar-count.js";
export { AvatarStack, type AvatarStackProps, DEFAULT_AVATAR_MAX } from "./avatar-stack.js";
export {
  browserFrames,
  type CursorMotion,
  type CursorMotionOptions,
  createCursorMotion,
  type FrameSource,
  glideDuration,
  glidePosition,
  MAX_GLIDE_MS,
  type Point,
} from "./cursor-motion.js";
export { LiveCursors, type LiveCursorsProps, readPoint } from "./live-cursors.js";
export { initials, userAvatar, userColor, userName } from "./user-look.js";
