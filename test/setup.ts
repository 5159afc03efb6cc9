// Vitest setup: runs before each test file. The function registry (local/registry) hooks in here so that
// every app.* / df.app.* registration is captured the way the Functions host sees it.
export {};
