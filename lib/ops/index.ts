export * from "./eviction";
export * from "./certificate";
export * from "./backup";
export * from "./digest";
export * from "./delivery";
