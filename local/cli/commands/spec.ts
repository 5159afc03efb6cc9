import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { repoRoot } from "../../../lib/config";
import { initSpec, renderSpecYaml, SPEC_SCHEMA_FILE, specJsonSchema, validateSpec } from "../../../lib/spec";
import { CliUsageError } from "../errors";
import { cliConventions, note, printData } from "../output";
import type { RegisterCommand } from "./index";

/** `aks-platform spec init|schema`: a commented spec to start from, and the JSON Schema editors validate against. */

interface InitOptions {
  name?: string;
  location?: string;
  clusters?: string;
  out?: string;
  force?: boolean;
}

export const register: RegisterCommand = (program) => {
  const spec = program.command("spec").description("Write a new spec, or print the spec's JSON Schema.");
  spec
    .command("init")
    .description("Write a commented YAML spec like the seed platform, for your cluster names (YAML; -o json for JSON).")
    .option("--name <env>", "environment name", "k8s-demo")
    .option("--location <region>", "Azure region", "koreacentral")
    .option(
      "--clusters <names>",
      "comma-separated cluster names; the first is the management cluster",
      "mgmt,app1,app2",
    )
    .option("--out <file>", "write the spec to this file instead of stdout")
    .option("--force", "overwrite --out when it exists")
    .action(async (options: InitOptions) => {
      const clusters = (options.clusters ?? "")
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean);
      if (clusters.length === 0) throw new CliUsageError("--clusters needs at least one cluster name");
      const candidate = initSpec({
        clusters,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.location !== undefined ? { location: options.location } : {}),
      });
      // The same rules as every other command, so what init writes always plans and builds.
      const checked = validateSpec(candidate);
      if (!checked.ok)
        throw new CliUsageError(
          `these options make an invalid spec:\n${checked.problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`,
        );
      const schemaFile = path.join(repoRoot(), SPEC_SCHEMA_FILE);
      const from = options.out !== undefined ? path.dirname(path.resolve(options.out)) : process.cwd();
      const text =
        cliConventions().output === "json"
          ? `${JSON.stringify(candidate, null, 2)}\n`
          : renderSpecYaml(candidate, path.relative(from, schemaFile) || schemaFile);
      if (options.out === undefined) {
        process.stdout.write(text);
        return;
      }
      if (existsSync(options.out) && !options.force)
        throw new CliUsageError(`--out ${options.out} exists; add --force to overwrite it`);
      await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
      await writeFile(options.out, text);
      note(`wrote ${options.out}; next: aks-platform plan --spec ${options.out}`);
    });
  spec
    .command("schema")
    .description(`Print the spec's JSON Schema (draft-07), the same as ${SPEC_SCHEMA_FILE}.`)
    .action(() => {
      const schema = specJsonSchema();
      const format = cliConventions().output ?? "json";
      printData(format, schema, () => `${JSON.stringify(schema, null, 2)}\n`);
    });
};
