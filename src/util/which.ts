/** Where `binary` is as an executable file: on PATH, or at that path when it has a slash. Like `command -v`. */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export function which(binary: string): string | undefined {
  const candidates = binary.includes(path.sep)
    ? [binary]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, binary));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
