/**
 * The logging port. pino's `(object, message)` call shape, so Node wires pino directly and a
 * Worker can wire a console-backed twin. Callers mask personal data before it gets here
 * (`src/lib/mask.ts`).
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** For tests and benchmarks that must not print. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
