import type { Command } from "commander";

/**
 * Each command module exports `register(program, setExitCode)`. Add one line here per command module;
 * `setExitCode(n)` records a non-zero result without throwing (the CLI exits with the highest code set).
 */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

export const commands: RegisterCommand[] = [];
