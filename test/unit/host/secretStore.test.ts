import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SecretStore } from '../../../src/host/secretStore';

describe('SecretStore', () => {
  let dir: string;
  let file: string;
  let logged: string[];
  const log = { info: (m: string) => logged.push(`info ${m}`), warn: (m: string) => logged.push(`warn ${m}`), error: (m: string) => logged.push(`error ${m}`) };
  const store = (): SecretStore => new SecretStore(file, log);
  const onDisk = async (): Promise<Record<string, string>> => (JSON.parse(await fs.readFile(file, 'utf8')) as { secrets: Record<string, string> }).secrets;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'secret-store-'));
    file = path.join(dir, 'secrets.json');
    logged = [];
  });
  afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

  it('sets and deletes in memory, reporting only names whose value changed, and fires them', async () => {
    const s = store();
    const fired: string[][] = [];
    s.onDidChange((names) => fired.push(names));
    assert.deepEqual(await s.update({ B: '2', A: '1' }, []), ['B', 'A']);
    assert.deepEqual(await s.update({ A: '1', B: 'two' }, ['C']), ['B'], 'same value and an unknown delete are no change');
    assert.deepEqual(await s.update({}, ['A']), ['A']);
    assert.deepEqual([s.get('A'), s.get('B'), s.has('B'), s.names()], [undefined, 'two', true, ['B']]);
    assert.deepEqual(fired, [['B', 'A'], ['B'], ['A']]);
    await assert.rejects(fs.access(file), 'nothing on disk without persistence');
    assert.ok(logged.every((l) => !l.includes('two')), 'the log names, never values');
  });

  it('persisting: writes 0600 atomically on every change, and a new store reads it back', async () => {
    const s = store();
    await s.persist(true);
    await s.update({ TOKEN: 't0k' }, []);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await onDisk(), { TOKEN: 't0k' });
    await Promise.all([s.update({ A: '1' }, []), s.update({ B: '2' }, []), s.update({}, ['TOKEN'])]);
    assert.deepEqual(await onDisk(), { A: '1', B: '2' }, 'writes land in order: the last state is on disk');
    assert.deepEqual(await fs.readdir(dir), ['secrets.json'], 'no temp files left');
    const again = store();
    const fired: string[][] = [];
    again.onDidChange((names) => fired.push(names));
    await again.persist(true);
    assert.deepEqual([again.get('A'), again.get('B')], ['1', '2']);
    assert.deepEqual(fired, [['A', 'B']], 'servers hear of what was read');
  });

  it('turning persistence on keeps what is in memory over the file, and adds what only the file has', async () => {
    await fs.writeFile(file, JSON.stringify({ secrets: { A: 'old', B: 'from-file' } }), { mode: 0o600 });
    const s = store();
    await s.update({ A: 'new' }, []);
    await s.persist(true);
    assert.deepEqual([s.get('A'), s.get('B')], ['new', 'from-file']);
    assert.deepEqual(await onDisk(), { A: 'new', B: 'from-file' });
  });

  it('turning it off removes the file and keeps the memory; off from the start leaves a file unread (and says so)', async () => {
    const s = store();
    await s.persist(true);
    await s.update({ A: '1' }, []);
    await s.persist(false);
    await assert.rejects(fs.access(file));
    assert.equal(s.get('A'), '1');
    await s.update({ A: '2' }, []);
    await assert.rejects(fs.access(file), 'no writes once off');

    await fs.writeFile(file, JSON.stringify({ secrets: { X: 'y' } }), { mode: 0o600 });
    const other = store();
    await other.persist(false);
    assert.equal(other.get('X'), undefined);
    assert.ok(await fs.readFile(file, 'utf8'), 'left in place');
    assert.ok(logged.some((l) => /warn .*secrets\.json exists, but settings\.persistSecrets is off: it is not read/.test(l)));
  });

  it('skips entries that are not a valid name with a non-empty string, naming them', async () => {
    await fs.writeFile(file, JSON.stringify({ secrets: { GOOD: 'g', 'bad name': 'x', EMPTY: '', NUM: 5 } }), { mode: 0o600 });
    const s = store();
    await s.persist(true);
    assert.deepEqual(s.names(), ['GOOD']);
    assert.ok(logged.some((l) => l.startsWith('warn') && l.includes('"bad name", "EMPTY", "NUM"')), logged.join('\n'));
  });

  it('moves a file that is not a secrets file aside, never overwriting it', async () => {
    for (const content of ['not json', '[]', '{"secrets": [1]}', '{}']) {
      await fs.writeFile(file, content, { mode: 0o600 });
      const s = store();
      await s.persist(true);
      const aside = (await fs.readdir(dir)).filter((f) => f.startsWith('secrets.json.unreadable-'));
      assert.equal(aside.length, 1, content);
      assert.equal(await fs.readFile(path.join(dir, aside[0]), 'utf8'), content);
      assert.deepEqual(await onDisk(), {}, 'a fresh file took its place');
      await fs.rm(path.join(dir, aside[0]));
    }
  });
});
