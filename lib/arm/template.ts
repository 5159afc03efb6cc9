import { z } from "zod";
import { ArmTemplateError } from "./errors";

/** Top-level template shape; resource and value contents are checked during expansion, where paths are known. */
const objectRecord = z.record(z.string(), z.looseObject({}));

const templateSchema = z.looseObject({
  $schema: z.string().optional(),
  contentVersion: z.string().optional(),
  languageVersion: z.string().optional(),
  parameters: objectRecord.optional(),
  variables: z.record(z.string(), z.unknown()).optional(),
  functions: z
    .array(
      z.looseObject({
        namespace: z.string(),
        members: z.record(
          z.string(),
          z.looseObject({
            parameters: z.array(z.looseObject({ name: z.string(), type: z.string().optional() })).optional(),
            output: z.looseObject({ type: z.string().optional(), value: z.unknown() }),
          }),
        ),
      }),
    )
    .optional(),
  resources: z.union([z.array(z.looseObject({})), objectRecord]).optional(),
  outputs: objectRecord.optional(),
});

export type ArmTemplate = z.infer<typeof templateSchema>;

export function parseTemplate(template: unknown, templateName: string, basePath: string): ArmTemplate {
  const result = templateSchema.safeParse(template);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? [])
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("")
    .replace(/^\./, "");
  throw new ArmTemplateError(
    templateName,
    [basePath, path].filter((p) => p).join(basePath && path && !path.startsWith("[") ? "." : ""),
    undefined,
    `not a valid ARM template: ${issue?.message ?? "invalid shape"}`,
  );
}

/** True for `$schema` values of subscription-scope templates. */
export function isSubscriptionTemplate(template: unknown): boolean {
  const schema = (template as { $schema?: unknown } | null)?.$schema;
  return typeof schema === "string" && /subscriptionDeploymentTemplate\.json/i.test(schema);
}
