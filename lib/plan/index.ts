export * from "./types";
export * from "./units";
export * from "./plan";
export * from "./critical-path";
export * from "./render-json";
export * from "./render-text";
export * from "./render-mermaid";
export * from "./topology";
