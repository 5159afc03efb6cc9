// Runs the CLI from TypeScript sources (tests, `tsx local/cli/entry.ts …`); bin/aks-platform.js runs the compiled copy.
import { main } from "./main";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 2;
  },
);
