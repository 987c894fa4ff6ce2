// Attack 9: a client that rewrites its own file without any lock (Cursor, Gemini CLI, Codex, Windsurf) while we sync.
// "The file is still what the edit saw" used to be checked before the backup and the temp file were written, a window
// of several ms in which the other program's write was silently replaced by ours (35 of 200 lost). It is checked right
// before the rename now, synchronously. Without a lock the other program honours, the rename's own system call is a
// window nothing in Node can close (no renameat2 RENAME_EXCHANGE): a writer hammering the file every 2 ms still loses
// about one update in a thousand of our writes, so the stress test bounds the loss instead of promising none; the
// deterministic tests here are the regression tests of the window that was closed.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs, watch, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from '../../../helpers/hostHarness';
import { SyncSandbox } from '../../../helpers/syncHarness';

const WRITER = path.join(FIXTURES, 'lockFreeConfigWriter.js');
const ROUNDS = 200;
/**
 * Lost updates of ROUNDS the stress test tolerates. Before the fix an in-place writer lost 130-187 of 200; after it,
 * 0-3 on a quiet machine and a few more on a loaded one (the rename's own window grows with the load). The bound
 * sits far from both, so the test tells the two apart without depending on the machine's load. (A renaming writer
 * lost 0-83 before the fix, too unevenly to make a regression test of.)
 */
const LOST_AT_MOST = 20;

describe('client config sync: a lock-free writer of the same file (attack 9)', () => {
  let box: SyncSandbox;
  beforeEach(async () => {
    box = await SyncSandbox.create();
    box.servers = ['memory'];
  });
  afterEach(async () => box.dispose());

  it('a write by another program after our edit was computed, while we write the backup and the temp file, survives: the edit is made again on its text', async () => {
    const file = await box.put('cursor', '{\n  "mcpServers": {},\n  "theirs": 1\n}\n');
    const backups = path.join(box.paths.backups, 'cursor');
    await fs.mkdir(backups, { recursive: true });
    let wrote = false;
    // The other program writes at the worst moment: as soon as our backup of the text the edit saw appears.
    const watcher = watch(backups, () => {
      if (wrote) return;
      wrote = true;
      writeFileSync(file, '{\n  "mcpServers": {},\n  "theirs": 2\n}\n');
    });
    try {
      const { clients } = await box.service.sync({ clients: ['cursor'] });
      assert.equal(clients[0].status, 'written', clients[0].error);
    } finally {
      watcher.close();
    }
    assert.ok(wrote, 'the other write happened while ours was under way');
    const final = JSON.parse(await box.read('cursor')) as { theirs: number; mcpServers: Record<string, unknown> };
    assert.equal(final.theirs, 2, 'their write is kept');
    assert.ok(final.mcpServers.memory, 'and ours is in it');
  });

  it('a file caught empty in the middle of its own program\'s rewrite (truncated, not yet written) is waited for, never replaced by our entries alone', async () => {
    const file = await box.put('cursor', '{\n  "mcpServers": {},\n  "theirs": "keep me"\n}\n');
    const writer = spawn(process.execPath, [WRITER, file, '1', 'stall'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => writer.on('exit', resolve));
    await new Promise<void>((resolve) => writer.stdout.on('data', (d: Buffer) => d.toString().includes('truncated') && resolve()));
    const { clients } = await box.service.sync({ clients: ['cursor'] });
    assert.equal(await exited, 0);
    assert.equal(clients[0].status, 'written', clients[0].error);
    const final = JSON.parse(await box.read('cursor')) as { theirs?: string; writerCounter?: number; mcpServers: Record<string, unknown> };
    assert.deepEqual([final.theirs, final.writerCounter, Object.keys(final.mcpServers)], ['keep me', 1, ['memory']]);
  });

  for (const how of ['inplace'] as const) {
    it(`another process rewriting ~/.cursor/mcp.json in place ${ROUNDS} times while we sync in a loop: at most ${LOST_AT_MOST} of its updates lost`, async function () {
      this.timeout(120_000);
      const file = await box.put('cursor', '{\n  "mcpServers": {}\n}\n');
      const writer = spawn(process.execPath, [WRITER, file, String(ROUNDS), how], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      writer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let exited = false;
      const done = new Promise<number | null>((resolve) => writer.on('exit', (code) => ((exited = true), resolve(code))));
      let writes = 0;
      let syncs = 0;
      while (!exited) {
        box.port = 19100 + (syncs % 7) + 1; // every round changes our entry, so every round writes
        const { clients } = await box.service.sync({ clients: ['cursor'] });
        if (clients[0].status === 'written') writes++;
        syncs++;
      }
      assert.equal(await done, 0, stderr);
      const final = JSON.parse(await box.read('cursor')) as { writerCounter?: number; mcpServers: Record<string, { url?: string }> };
      const lost = ROUNDS - (final.writerCounter ?? 0);
      assert.ok(lost <= LOST_AT_MOST, `${lost} of ${ROUNDS} updates of the other process lost (we wrote ${writes} times in ${syncs} syncs)\n${stderr}`);
      assert.ok(writes >= 3, `only ${writes} of our writes happened during the writer's loop`);
      // The writer may have written an older copy of our entry back (it takes no lock: nothing we can do about that),
      // which the ledger then takes for the user's edit and leaves alone; an entry of ours is there either way.
      assert.equal((await box.service.sync({ clients: ['cursor'] })).clients[0].error, undefined);
      assert.match(JSON.parse(await box.read('cursor')).mcpServers.memory.url ?? '', /^http:\/\/127\.0\.0\.1:191\d\d\/mcp\/memory$/);
    });
  }
});
