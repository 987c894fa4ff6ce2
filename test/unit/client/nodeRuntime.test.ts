import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findNodeRuntime } from '../../../src/client/nodeRuntime';

describe('findNodeRuntime', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function fakeNode(folder: string, version: string): void {
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'node'), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  }

  it('prefers the first node on PATH that is new enough', async () => {
    fakeNode(path.join(dir, 'old'), '18.19.0');
    fakeNode(path.join(dir, 'new'), '22.3.0');
    const r = await findNodeRuntime({ PATH: [path.join(dir, 'missing'), path.join(dir, 'old'), path.join(dir, 'new')].join(path.delimiter) });
    assert.equal(r.path, path.join(dir, 'new', 'node'));
    assert.deepEqual(r.env, {});
  });

  it('falls back to this process runtime when PATH has no usable node', async () => {
    fakeNode(path.join(dir, 'old'), '16.0.0');
    const r = await findNodeRuntime({ PATH: path.join(dir, 'old') });
    assert.equal(r.path, process.execPath);
  });
});
