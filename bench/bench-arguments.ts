import { parseArgs } from "node:util";

type Declared = Record<string, { type: "string"; default?: string } | { type: "boolean" }>;

/**
 * A bench's command line (what follows `npm run bench:x --`), read with Node's parseArgs against
 * the options the bench declares: a misspelt option or a missing value stops the bench with
 * parseArgs' message instead of being ignored. Numeric options are declared as strings with
 * their default and read with `numberOption`.
 */
export function benchArguments<const T extends Declared>(options: T) {
  return parseArgs({ options, allowPositionals: true });
}

/** A numeric option's value; anything that is not a number stops the bench, naming the option. */
export function numberOption(text: string, name: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new Error(`${name}: '${text}' is not a number`);
  return value;
}
