// ESLint flat config: type-checked typescript-eslint rules, Prettier owns formatting.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

// Orchestrators are replayed by the Durable runtime: anything non-deterministic breaks replay.
const nonDeterministic = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: "Orchestrators must be deterministic: use context.df.currentUtcDateTime." },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: "Orchestrators must be deterministic: use context.df.currentUtcDateTime." },
  { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: "Orchestrators must be deterministic: use context.df.newGuid or pass randomness in." },
  { selector: "CallExpression[callee.name='setTimeout']", message: "Orchestrators must not sleep: use context.df.createTimer." },
  { selector: "MemberExpression[object.name='process'][property.name='env']", message: "Orchestrators must not read the environment: read config in an activity." },
  { selector: "CallExpression[callee.name='fetch']", message: "Orchestrators must not do I/O: call an activity." },
];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".local/**", "test-results/**", "bin/**", "**/*.cjs", "**/*.mjs", "**/*.mts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // tsconfig.test.json covers sources and tests alike (tsconfig.json, the build, leaves tests out).
    languageOptions: { parserOptions: { project: ["./tsconfig.test.json", "./web/tsconfig.json"], tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ["orchestrations/*/*.ts"],
    ignores: ["orchestrations/shared/**"],
    rules: { "no-restricted-syntax": ["error", ...nonDeterministic] },
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
