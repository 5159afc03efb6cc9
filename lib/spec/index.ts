export * from "./schema";
export * from "./default";
export * from "./validate";
export * from "./load";
export * from "./init";
