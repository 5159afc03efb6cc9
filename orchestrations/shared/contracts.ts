import { z } from "zod";
import { workEndedSchema } from "../../lib/environments";
import { platformSpecSchema } from "../../lib/spec";

/** Inputs of the activities several rooms call (the build, the teardown and the restore all end by recording). */

/** The end of a build, teardown or restore, for the registry of environments. */
export const recordEnvironmentStateInputSchema = z.strictObject({
  /** The spec the work ran with (a build registers the environment it finds missing). */
  spec: platformSpecSchema,
  work: workEndedSchema,
});
export type RecordEnvironmentStateInput = z.infer<typeof recordEnvironmentStateInputSchema>;
