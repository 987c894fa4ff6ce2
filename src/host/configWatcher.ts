import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Disposable } from '../shared/emitter';

export const CONFIG_DEBOUNCE_MS = 150;

/**
 * Calls back when a file's content may have changed. Watches the folder, not the file: editors save by
 * writing a temp file and renaming it over the original, which ends a watch on the file itself.
 */
export function watchFile(file: string, onChange: () => void): Disposable {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  let last = signature(file);
  const check = (): void => {
    timer = undefined;
    const now = signature(file);
    if (now === last) return;
    last = now;
    onChange();
  };
  const watcher = fs.watch(dir, (_event, name) => {
    if (name !== null && name !== base) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, CONFIG_DEBOUNCE_MS);
  });
  watcher.on('error', () => undefined);
  return {
    dispose: () => {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}

function signature(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return 'missing';
  }
}
