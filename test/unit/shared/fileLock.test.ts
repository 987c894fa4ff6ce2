import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireFileLock } from '../../../src/shared/fileLock';
import { SharedMcpError } from '../../../src/shared/errors';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return r.pid as number;
}

describe('acquireFileLock', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
    file = path.join(dir, 'host.lock');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the lock file, mode 0600, naming this pid, and removes it on release', async () => {
    const lock = await acquireFileLock(file, 1000);
    const content = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; nonce: string; at: number };
    assert.equal(content.pid, process.pid);
    assert.match(content.nonce, /^[0-9a-f]{16}$/);
    assert.equal(typeof content.at, 'number');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    await lock.release();
    assert.equal(fs.existsSync(file), false);
  });

  it('makes a second acquire wait until the first releases', async () => {
    const a = await acquireFileLock(file, 5000);
    let bResolved = false;
    let busy = 0;
    let wake: () => void = () => undefined;
    const tried = new Promise<void>((resolve) => (wake = resolve));
    const bPromise = acquireFileLock(file, 10_000, { onBusy: () => ++busy === 3 && wake() }).then((lock) => {
      bResolved = true;
      return lock;
    });
    // B has found the lock held three times: three chances to take it wrongly.
    await tried;
    assert.equal(bResolved, false, 'B acquired the lock while A held it');
    await a.release();
    const b = await bPromise;
    assert.equal(bResolved, true);
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
    await b.release();
    assert.equal(fs.existsSync(file), false);
  });

  it('never lets 20 concurrent holders overlap', async () => {
    let holders = 0;
    let maxHolders = 0;
    let completed = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const lock = await acquireFileLock(file, 60_000);
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        await sleep(10);
        holders--;
        await lock.release();
        completed++;
      }),
    );
    assert.equal(completed, 20);
    assert.equal(maxHolders, 1);
    assert.equal(fs.existsSync(file), false);
  });

  it('breaks a lock held by a dead pid', async () => {
    fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), nonce: 'deadbeefdeadbeef', at: Date.now() }));
    const lock = await acquireFileLock(file, 2000);
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
    await lock.release();
    assert.deepEqual(fs.readdirSync(dir), [], 'the stale lock moved aside must be removed');
  });

  it('breaks a corrupt lock file older than a second', async () => {
    fs.writeFileSync(file, 'not json');
    const old = new Date(Date.now() - 5000);
    fs.utimesSync(file, old, old);
    const lock = await acquireFileLock(file, 2000);
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
    await lock.release();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('does not break a fresh corrupt lock file (it may be being written)', async () => {
    fs.writeFileSync(file, '');
    await assert.rejects(acquireFileLock(file, 100), (err: unknown) => err instanceof SharedMcpError && err.code === 'TIMEOUT');
    assert.equal(fs.readFileSync(file, 'utf8'), '');
  });

  it('breaks a lock of a live pid older than the stale age', async () => {
    fs.writeFileSync(file, JSON.stringify({ pid: process.ppid, nonce: 'x', at: 0 }));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const lock = await acquireFileLock(file, 2000);
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
    await lock.release();
  });

  it('times out with TIMEOUT while a live pid holds the lock', async () => {
    const held = JSON.stringify({ pid: process.ppid, nonce: 'live', at: Date.now() });
    fs.writeFileSync(file, held);
    await assert.rejects(acquireFileLock(file, 100), (err: unknown) => {
      assert.ok(err instanceof SharedMcpError);
      assert.equal(err.code, 'TIMEOUT');
      assert.ok(err.message.includes(file), err.message);
      return true;
    });
    assert.equal(fs.readFileSync(file, 'utf8'), held, 'the live lock must be left alone');
  });

  it('does not delete a lock that someone else put in its place', async () => {
    const lock = await acquireFileLock(file, 1000);
    const other = JSON.stringify({ pid: process.ppid, nonce: 'someoneelse00000', at: Date.now() });
    fs.rmSync(file);
    fs.writeFileSync(file, other);
    await lock.release();
    assert.equal(fs.readFileSync(file, 'utf8'), other);
  });

  it('releasing twice is harmless and does not remove a later holder', async () => {
    const a = await acquireFileLock(file, 1000);
    await a.release();
    const b = await acquireFileLock(file, 1000);
    await a.release();
    assert.equal(fs.existsSync(file), true);
    await b.release();
    assert.equal(fs.existsSync(file), false);
  });

  it('throws errors other than EEXIST', async () => {
    await assert.rejects(acquireFileLock(path.join(dir, 'missing', 'host.lock'), 1000), (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT');
  });
});
