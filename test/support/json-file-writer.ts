import { writeFileSync } from "node:fs";
import path from "node:path";

/** Writes `value` as JSON to `name` inside `directory` (the config and tokenizer files of the tiny model writers). */
export const jsonFileWriter =
  (directory: string) =>
  (name: string, value: unknown): void =>
    writeFileSync(path.join(directory, name), JSON.stringify(value, null, 1));
