/**
 * Template errors name the template, the JSON path inside it and the expression being evaluated, so a person can
 * find the offending line without re-running anything.
 */
export class ArmTemplateError extends Error {
  override readonly name = "ArmTemplateError";

  constructor(
    /** Template name (file name or caller-supplied label). */
    readonly template: string,
    /** JSON path inside the template, e.g. `resources[2].properties.networkProfile.podCidr`. */
    readonly path: string,
    /** The expression text being evaluated, when the error came from one. */
    readonly expression: string | undefined,
    /** What is wrong, without the location. */
    readonly reason: string,
  ) {
    super(
      `template '${template}' at ${path || "(root)"}: ${reason}` +
        (expression === undefined ? "" : ` (expression: ${expression})`),
    );
  }
}

/**
 * Raised inside expression evaluation, before the location is known; the expander turns it into an
 * ArmTemplateError carrying the template, path and expression.
 */
export class ArmExpressionError extends Error {
  override readonly name = "ArmExpressionError";
}
