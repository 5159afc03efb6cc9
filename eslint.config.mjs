// ESLint flat config: type-checked typescript-eslint rules, Prettier owns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

// Orchestrators are replayed by the Durable runtime: anything non-deterministic breaks replay.
const nonDeterministic = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: "Orchestrators must be deterministic: use context.df.currentUtcDateTime.",
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: "Orchestrators must be deterministic: use context.df.currentUtcDateTime.",
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message: "Orchestrators must be deterministic: use context.df.newGuid or pass randomness in.",
  },
  {
    selector: "CallExpression[callee.name='setTimeout']",
    message: "Orchestrators must not sleep: use context.df.createTimer.",
  },
  {
    selector: "MemberExpression[object.name='process'][property.name='env']",
    message: "Orchestrators must not read the environment: read config in an activity.",
  },
  { selector: "CallExpression[callee.name='fetch']", message: "Orchestrators must not do I/O: call an activity." },
];

// One Azure context per process (lib/azure/context.ts) builds the credential and every Azure client; elsewhere in the
// app and its local tools a credential or client made on the spot would bypass its cloud, identity and token-host guard.
const azureClients =
  "DefaultAzureCredential|ManagedIdentityCredential|AzureCliCredential|ClientSecretCredential|WorkloadIdentityCredential|ChainedTokenCredential|AzureKeyCredential|BlobServiceClient|ContainerClient|TableClient|TableServiceClient|QueueServiceClient|QueueClient|EventGridPublisherClient|SecretClient|ContainerServiceClient|DeploymentsClient|ResourceManagementClient|AuthorizationManagementClient|StaticTokenCredential|LocalTokenIssuer";
const contextOnly = "only lib/azure/context.ts constructs credentials and Azure clients: take them from azureContext()";
const azureContextRules = {
  "no-restricted-syntax": [
    "error",
    { selector: `NewExpression[callee.name=/^(${azureClients})$/]`, message: contextOnly },
    { selector: "CallExpression[callee.property.name='fromConnectionString']", message: contextOnly },
    { selector: "CallExpression[callee.name='getClient']", message: contextOnly },
  ],
  "no-restricted-imports": [
    "error",
    {
      paths: [
        { name: "@azure/identity", message: contextOnly },
        { name: "@azure-rest/core-client", importNames: ["getClient"], message: contextOnly },
      ],
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "coverage/**",
      ".local/**",
      "test-results/**",
      "bin/**",
      "**/*.cjs",
      "**/*.mjs",
      "**/*.mts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // tsconfig.test.json covers sources and tests alike (tsconfig.json, the build, leaves tests out).
    languageOptions: {
      parserOptions: { project: ["./tsconfig.test.json", "./web/tsconfig.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ["lib/**/*.ts", "functions/**/*.ts", "orchestrations/**/*.ts", "local/**/*.ts"],
    ignores: ["lib/azure/context.ts"],
    rules: azureContextRules,
  },
  {
    files: ["orchestrations/*/*.ts"],
    ignores: ["orchestrations/shared/**"],
    rules: { "no-restricted-syntax": [...azureContextRules["no-restricted-syntax"], ...nonDeterministic] },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  prettier,
);
