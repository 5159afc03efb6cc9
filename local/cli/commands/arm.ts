import { readFile } from "node:fs/promises";
import path from "node:path";
import { Option } from "commander";
import { z } from "zod";
import { ArmTemplateError, DeferredValue, expandTemplate, isSubscriptionTemplate } from "../../../lib/arm";
import type { DeploymentScope } from "../../../lib/arm";
import { CliUsageError } from "../errors";
import { outputFormat, printData } from "../output";
import type { RegisterCommand } from "./index";

/** `aks-platform arm expand TEMPLATE`: what an ARM template would deploy, expanded offline. */

interface ExpandCliOptions {
  parameters?: string;
  scope?: "subscription" | "resourceGroup";
  subscription: string;
  tenant: string;
  resourceGroup: string;
  location: string;
  deploymentName?: string;
}

const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

/** The standard ARM parameters file: `{ "$schema", "contentVersion", "parameters": { p: { value } | { reference } } }`. */
const parameterEntry = z.union([
  z.object({ value: z.unknown() }).loose(),
  z
    .object({ reference: z.looseObject({ keyVault: z.looseObject({ id: z.string() }), secretName: z.string() }) })
    .loose(),
]);
const parametersFile = z.looseObject({
  $schema: z.string().optional(),
  contentVersion: z.string().optional(),
  parameters: z.record(z.string(), parameterEntry),
});

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliUsageError(
      `cannot read ${what} '${file}': ${code === "ENOENT" ? "no such file" : (code ?? String(err))}`,
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, "")) as unknown;
  } catch (err) {
    throw new CliUsageError(`${what} '${file}' is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Accepts a standard ARM parameters file or a plain `{ name: value }` object. */
function parameterValues(doc: unknown, file: string): Record<string, unknown> {
  const isStandard =
    doc !== null &&
    typeof doc === "object" &&
    "parameters" in doc &&
    ("$schema" in doc || "contentVersion" in doc || Object.keys(doc).length === 1);
  if (!isStandard) {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      throw new CliUsageError(`parameters file '${file}' must be a JSON object`);
    }
    return doc as Record<string, unknown>;
  }
  const parsed = parametersFile.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(
      `parameters file '${file}' at ${issue?.path.join(".") ?? "(root)"}: each parameter needs { "value": ... } or a Key Vault { "reference": ... }`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(parsed.data.parameters)) {
    values[name] =
      "value" in entry
        ? entry.value
        : new DeferredValue(
            `[reference(keyVault '${String(entry.reference.keyVault.id)}', secret '${String(entry.reference.secretName)}')]`,
            "Key Vault references are resolved by ARM at deployment time",
          );
  }
  return values;
}

export const register: RegisterCommand = (program) => {
  const arm = program.command("arm").description("Offline ARM template tools.");
  arm
    .command("expand")
    .description(
      "Expand an ARM JSON template offline: resources with ids and dependsOn, and outputs, as one JSON document.",
    )
    .argument("<template>", "ARM template (JSON)")
    .option("--parameters <file>", "ARM parameters file, or a plain { name: value } JSON object")
    .addOption(
      new Option("--scope <scope>", "deployment scope; default from the template $schema").choices([
        "subscription",
        "resourceGroup",
      ]),
    )
    .option("--subscription <id>", "subscription id", ZERO_GUID)
    .option("--tenant <id>", "tenant id", ZERO_GUID)
    .option("--resource-group <name>", "resource group (resource-group scope)", "rg-example")
    .option("--location <location>", "deployment / resource group location", "koreacentral")
    .option("--deployment-name <name>", "deployment name; default: the template file name")
    .action(async (templateFile: string, options: ExpandCliOptions) => {
      const template = await readJson(templateFile, "template");
      const parameters = options.parameters
        ? parameterValues(await readJson(options.parameters, "parameters file"), options.parameters)
        : {};
      const kind = options.scope ?? (isSubscriptionTemplate(template) ? "subscription" : "resourceGroup");
      const scope: DeploymentScope = {
        kind,
        subscriptionId: options.subscription,
        tenantId: options.tenant,
        ...(kind === "resourceGroup" ? { resourceGroup: options.resourceGroup } : {}),
        location: options.location,
        deploymentName: options.deploymentName ?? path.basename(templateFile).replace(/\.json$/i, ""),
      };
      try {
        const result = expandTemplate(template, { parameters, scope, templateName: path.basename(templateFile) });
        // The expansion is a tree; its readable form is the JSON itself, so "table" prints that too.
        printData(outputFormat(), result, () => `${JSON.stringify(result, null, 2)}\n`);
      } catch (err) {
        if (!(err instanceof ArmTemplateError)) throw err;
        // A template that cannot be expanded is wrong input (exit-code table: 2).
        throw new CliUsageError(err.message);
      }
    });
};
