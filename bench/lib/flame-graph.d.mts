// Types of flame-graph.mjs and flame-svg.mjs for the TypeScript tests.
export interface FlameBox {
  name: string;
  where: string;
  depth: number;
  x: number;
  w: number;
  self: number;
  total: number;
}
export interface FlameRow {
  name: string;
  where: string;
  self: number;
  ms: number;
  share: number;
}
export interface Flame {
  samples: number;
  idleSamples: number;
  usPerSample: number;
  depth: number;
  boxes: FlameBox[];
  top: FlameRow[];
}
export interface CpuProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    columnNumber?: number;
    scriptId?: string;
  };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: CpuProfileNode[];
  samples?: number[];
  startTime: number;
  endTime: number;
}
export const MIN_BOX_SHARE: number;
export const TOP_FUNCTIONS: number;
export function whereOf(frame: CpuProfileNode["callFrame"]): string;
export function flameFromProfile(profile: CpuProfile, options?: { minShare?: number; top?: number }): Flame;
