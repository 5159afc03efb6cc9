export * from "./report";
export * from "./scope";
export * from "./store";
export * from "./messages";
export * from "./dispatch";
export * from "./settings";
