import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Disposable } from '../shared/emitter';

export const WATCH_DEBOUNCE_MS = 150;
/**
 * A watch can be lost without a word: its folder deleted and made again (a dotfiles checkout, a sync tool), or an
 * error from the OS. A look at the file this often catches every change such a watch would have missed.
 */
export const WATCH_POLL_MS = 2000;

export interface WatchLog {
  warn(message: string): void;
}

/**
 * Calls back when a file's content may have changed. Watches the folder, not the file: editors save by writing a
 * temp file and renaming it over the original, which ends a watch on the file itself. A lost watch is logged and
 * made again; the periodic look covers the time between.
 */
export function watchFile(file: string, onChange: () => void, log: WatchLog): Disposable {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let timer: NodeJS.Timeout | undefined;
  let last = signature(file);
  let watcher: fs.FSWatcher | undefined;
  let folder = folderId(dir);
  const check = (): void => {
    timer = undefined;
    const now = signature(file);
    if (now === last) return;
    last = now;
    onChange();
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, WATCH_DEBOUNCE_MS);
  };
  const watch = (): void => {
    try {
      watcher = fs.watch(dir, (_event, name) => {
        if (name === null || name === base) schedule();
      });
      watcher.on('error', (err) => {
        log.warn(`lost the watch on ${dir} (${err.message}); watching it again`);
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // the folder is gone for now: the poll tries again
    }
  };
  watch();
  const poll = setInterval(() => {
    const now = folderId(dir);
    if (now !== folder) {
      // Deleted (and maybe made again): the old watch sees nothing of a new folder.
      log.warn(now === 'missing' ? `${dir} is gone; watching for it to come back` : `${dir} was made anew; watching it again`);
      watcher?.close();
      watcher = undefined;
      folder = now;
    }
    if (!watcher && now !== 'missing') watch();
    check();
  }, WATCH_POLL_MS);
  poll.unref();
  return {
    dispose: () => {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      watcher?.close();
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

/** Which folder this is: a new folder may get the old one's inode number, never its birth time too. */
function folderId(dir: string): string {
  try {
    const s = fs.statSync(dir);
    return `${s.dev}:${s.ino}:${s.birthtimeMs}`;
  } catch {
    return 'missing';
  }
}
