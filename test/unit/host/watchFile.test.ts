import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { watchFile } from '../../../src/host/watchFile';

describe('watchFile (real files)', () => {
  let root: string;
  const disposers: Array<() => void> = [];
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'shared-mcp-watch-'));
  });
  afterEach(async () => {
    for (const d of disposers.splice(0)) d();
    await fs.rm(root, { recursive: true, force: true });
  });

  /** Resolves on the next change the watch reports. */
  function watched(file: string, warnings: string[] = []): () => Promise<void> {
    let waiting: (() => void) | undefined;
    let changes = 0;
    let seen = 0;
    const w = watchFile(file, () => (changes++, waiting?.()), { warn: (m) => void warnings.push(m) });
    disposers.push(() => w.dispose());
    return () =>
      new Promise<void>((resolve) => {
        if (changes > seen) return resolve(void seen++);
        waiting = () => ((waiting = undefined), seen++, resolve());
      });
  }

  it('reports a save made by rename, as editors do', async () => {
    const file = path.join(root, 'config.jsonc');
    await fs.writeFile(file, '{}');
    const next = watched(file);
    await fs.writeFile(`${file}.tmp`, '{"mcpServers":{}}');
    await fs.rename(`${file}.tmp`, file);
    await next();
  });

  it('keeps reporting after its folder was deleted and made again (regression: the watch was lost without a word)', async function () {
    this.timeout(20_000); // the look that covers a lost watch comes every WATCH_POLL_MS (2 s)
    const dir = path.join(root, 'cfg');
    const file = path.join(dir, 'config.jsonc');
    await fs.mkdir(dir);
    await fs.writeFile(file, '{}');
    const warnings: string[] = [];
    const next = watched(file, warnings);
    await fs.rm(dir, { recursive: true });
    await next(); // the file is gone: that is a change too
    await fs.mkdir(dir);
    await fs.writeFile(file, '{"mcpServers":{"a":{"command":"x"}}}');
    await next();
    await fs.writeFile(file, '{"mcpServers":{"b":{"command":"x"}}}');
    await next();
    assert.ok(warnings.some((w) => /is gone|was made anew/.test(w)), warnings.join('\n'));
  });
});
