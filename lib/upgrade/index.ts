export * from "./versions";
export * from "./gates";
export * from "./settings";
export * from "./windows";
export * from "./plan";
export * from "./istio";
export * from "./messages";
export * from "./run";
