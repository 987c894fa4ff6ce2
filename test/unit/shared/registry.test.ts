import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPidAlive } from '../../../src/shared/pidAlive';
import { readRegistry, removeRegistryIfOwned, writeFileAtomic, writeRegistry, type HostRegistry } from '../../../src/shared/registry';

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  assert.ok(typeof r.pid === 'number' && r.pid > 0);
  return r.pid;
}

function sample(overrides: Partial<HostRegistry> = {}): HostRegistry {
  return {
    pid: 4242,
    port: 19100,
    address: '127.0.0.1',
    controlToken: 'a'.repeat(32),
    version: '0.1.0',
    home: '/tmp/home',
    startedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('registry', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
    file = path.join(dir, 'host.json');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('readRegistry', () => {
    it('reads a valid registry', async () => {
      fs.writeFileSync(file, JSON.stringify(sample({ port: 19123 })));
      assert.deepEqual(await readRegistry(file), sample({ port: 19123 }));
    });

    it('defaults the address to 127.0.0.1 when absent', async () => {
      const { address: _address, ...rest } = sample();
      fs.writeFileSync(file, JSON.stringify(rest));
      assert.equal((await readRegistry(file))?.address, '127.0.0.1');
    });

    it('keeps an explicit address', async () => {
      fs.writeFileSync(file, JSON.stringify(sample({ address: '::1' })));
      assert.equal((await readRegistry(file))?.address, '::1');
    });

    it('is undefined for a missing file', async () => {
      assert.equal(await readRegistry(file), undefined);
    });

    it('is undefined for corrupt JSON', async () => {
      fs.writeFileSync(file, '{"pid": 12, "port":');
      assert.equal(await readRegistry(file), undefined);
      fs.writeFileSync(file, '');
      assert.equal(await readRegistry(file), undefined);
    });

    it('is undefined for JSON of the wrong shape', async () => {
      const bad: unknown[] = [
        null,
        [],
        42,
        { ...sample(), pid: 0 },
        { ...sample(), pid: 1.5 },
        { ...sample(), pid: '4242' },
        { ...sample(), port: 0 },
        { ...sample(), port: 65536 },
        { ...sample(), controlToken: 'short' },
        { ...sample(), version: 1 },
        { ...sample(), home: undefined },
        { ...sample(), startedAt: null },
      ];
      for (const value of bad) {
        fs.writeFileSync(file, JSON.stringify(value));
        assert.equal(await readRegistry(file), undefined, JSON.stringify(value));
      }
    });
  });

  describe('writeRegistry', () => {
    it('writes a registry that reads back, mode 0600', async () => {
      await writeRegistry(file, sample());
      assert.deepEqual(await readRegistry(file), sample());
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    });

    it('replaces an existing file and makes it 0600, leaving no temp files', async () => {
      fs.writeFileSync(file, 'old', { mode: 0o644 });
      fs.chmodSync(file, 0o644);
      await writeRegistry(file, sample({ pid: 7 }));
      assert.equal((await readRegistry(file))?.pid, 7);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(fs.readdirSync(dir), ['host.json']);
    });

    it('leaves no temp file when the rename fails', async () => {
      const target = path.join(dir, 'target');
      fs.mkdirSync(path.join(target, 'sub'), { recursive: true });
      await assert.rejects(writeFileAtomic(target, 'x'));
      assert.deepEqual(fs.readdirSync(dir), ['target']);
    });

    it('beforeRename runs once the temp file is complete, right before the rename; what it throws stops the write', async () => {
      const target = path.join(dir, 'client.json');
      fs.writeFileSync(target, 'theirs');
      const seenAtCheck: string[] = [];
      const tempNow = (): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')).map((n) => fs.readFileSync(path.join(dir, n), 'utf8'));
      await writeFileAtomic(target, 'ours', 0o600, undefined, () => void seenAtCheck.push(...tempNow(), fs.readFileSync(target, 'utf8')));
      assert.deepEqual(seenAtCheck, ['ours', 'theirs'], 'the whole temp file exists and the target is untouched when the check runs');
      assert.equal(fs.readFileSync(target, 'utf8'), 'ours');
      const stop = new Error('changed meanwhile');
      await assert.rejects(
        writeFileAtomic(target, 'again', 0o600, undefined, () => {
          throw stop;
        }),
        (err: unknown) => err === stop,
      );
      assert.equal(fs.readFileSync(target, 'utf8'), 'ours');
      assert.deepEqual(fs.readdirSync(dir), ['client.json']);
    });
  });

  describe('removeRegistryIfOwned', () => {
    it('keeps a registry naming another pid', async () => {
      await writeRegistry(file, sample({ pid: 4242 }));
      await removeRegistryIfOwned(file, 4343);
      assert.equal((await readRegistry(file))?.pid, 4242);
    });

    it('removes its own registry', async () => {
      await writeRegistry(file, sample({ pid: 4242 }));
      await removeRegistryIfOwned(file, 4242);
      assert.equal(fs.existsSync(file), false);
    });

    it('removes a corrupt registry and tolerates a missing one', async () => {
      fs.writeFileSync(file, 'garbage');
      await removeRegistryIfOwned(file, 1);
      assert.equal(fs.existsSync(file), false);
      await removeRegistryIfOwned(file, 1);
      assert.equal(fs.existsSync(file), false);
    });
  });

  describe('isPidAlive', () => {
    it('is true for this process', () => {
      assert.equal(isPidAlive(process.pid), true);
    });

    it('is false for a process that has exited', () => {
      assert.equal(isPidAlive(deadPid()), false);
    });
  });
});
