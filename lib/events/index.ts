export * from "./types";
export * from "./envelope";
export * from "./classify";
export * from "./delivery";
export * from "./monitor-alert";
export { ClusterResolver, parseResourceId, baseResourceId } from "./resources";
export type { NodeLocation, ParsedResourceId } from "./resources";
export { compactUtc, stableHash, trimJson } from "./normalize";
