// The one error type of the procfs layer: /proc text that does not have the documented shape.

export class ProcParseError extends Error {
  constructor(
    readonly path: string,
    readonly offending: string,
    reason: string,
  ) {
    super(`${path}: ${reason}: ${JSON.stringify(offending.slice(0, 80))}`);
    this.name = "ProcParseError";
  }
}
