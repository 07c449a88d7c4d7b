// The React half of the receive benchmark: the ready-made <LiveCursors /> (built
// @collabblocks/react/ui) under react-dom in a jsdom document, bound to one SDK room. Counts
// cursor renders through the `label` prop, which each cursor calls once per render. Reduced
// motion: each position is drawn once, so the figure is React's cost, not the glide's frames.
import { JSDOM } from "jsdom";

export async function renderCursors(room) {
  // jsdom's requestAnimationFrame exists only when it pretends to be visual (60 Hz timers).
  const dom = new JSDOM("<!doctype html><div id=root></div>", { pretendToBeVisual: true });
  // React's production build, as an app ships it (the development build checks far more per render).
  process.env.NODE_ENV = "production";
  for (const key of [
    "window",
    "document",
    "navigator",
    "requestAnimationFrame",
    "cancelAnimationFrame",
    "HTMLElement",
  ]) {
    globalThis[key] = key === "window" ? dom.window : dom.window[key];
  }
  const { createElement } = await import("react");
  const { createRoot } = await import("react-dom/client");
  const { LiveCursors } = await import("@collabblocks/react/ui");
  let renders = 0;
  const label = (user) => {
    renders++;
    return user.userId;
  };
  const container = dom.window.document.getElementById("root");
  createRoot(container).render(
    createElement(LiveCursors, { room, label, units: "fraction", reducedMotion: true }),
  );
  return {
    renders: () => renders,
    drawn: () => container.querySelectorAll(".cb-cursor").length,
  };
}
