// Vitest setup: runs before each test file. It provides `@azure/functions-core` (local/registry) so that every
// app.* / df.app.* registration is captured the way the Functions host sees it.
import { installFunctionsCore } from "../local/registry";

installFunctionsCore();
