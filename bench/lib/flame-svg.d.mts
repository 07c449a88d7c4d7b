// Types of flame-svg.mjs for the TypeScript tests.
import type { Flame } from "./flame-graph.mjs";
export function flameSvg(flame: Flame, caption: string): string;
export function topTable(flame: Flame): string;
