import type { Command } from "commander";
import { register as plan } from "./plan";
import { register as events } from "./events";
import { register as arm } from "./arm";
import { register as notify } from "./notify";
import { register as serve } from "./serve";
import { register as check } from "./check";
import { register as up } from "./up";
import { register as sandbox } from "./sandbox";
import { register as backup } from "./backup";
import { register as restore } from "./restore";
import { register as down } from "./down";
import { register as drift } from "./drift";
import { register as upgrade } from "./upgrade";
import { register as env } from "./env";
import { register as spec } from "./spec";

/**
 * Each command module exports `register(program, setExitCode)`. Add one line here per command module;
 * `setExitCode(n)` records a non-zero result without throwing (the CLI exits with the highest code set).
 */
export type RegisterCommand = (program: Command, setExitCode: (code: number) => void) => void;

export const commands: RegisterCommand[] = [
  plan,
  events,
  arm,
  notify,
  serve,
  check,
  sandbox,
  up,
  backup,
  restore,
  down,
  drift,
  upgrade,
  env,
  spec,
];
