// OPS-5 nightly backup verification and OPS-7 restore: rules, report, storage, Data Protection calls.
export * from "./verify";
export * from "./report";
export * from "./collect";
export * from "./restore";
export * from "./restoreClient";
export * from "./store";
export * from "./seed";
export * from "./cluster";
