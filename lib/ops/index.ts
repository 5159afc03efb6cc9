export * from "./eviction";
export * from "./certificate";
export * from "./backup";
