import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readProcessTable, type ProcessInfo } from '../../../../src/host/supervisor/processTable';
import { ProcessTracker } from '../../../../src/host/supervisor/processTracker';

function sleeper(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

describe('ProcessTracker', () => {
  let dir: string;
  let file: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
    file = path.join(dir, 'processes.json');
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function info(pid: number): Promise<ProcessInfo> {
    const p = (await readProcessTable()).get(pid);
    assert.ok(p, `process ${pid} in the table`);
    return p;
  }

  it('killAllNow kills only processes whose start time still matches (a reused pid is spared) (regression)', async () => {
    const root = sleeper();
    const stranger = sleeper();
    children.push(root, stranger);
    await new Promise((r) => setTimeout(r, 200));
    const tracker = new ProcessTracker(file);
    tracker.add('srv', root.pid as number);
    // A member recorded long ago whose pid now belongs to the stranger: same pid, another start time.
    const former = { ...(await info(stranger.pid as number)), startTime: '1' };
    tracker.observe('srv', root.pid as number, [await info(root.pid as number), former], await readProcessTable());
    const impostor = former;
    const recorded = JSON.parse(fs.readFileSync(file, 'utf8')).srv.members.map((m: { pid: number }) => m.pid);
    assert.ok(recorded.includes(impostor.pid), 'the impostor was recorded as a member');
    tracker.killAllNow();
    await new Promise((r) => root.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(isAlive(root), false);
    assert.equal(isAlive(stranger), true, 'a process that is not the recorded one survives');
  });

  it('drops dead members when it observes a new sample, so the record does not grow (regression)', async () => {
    const root = sleeper();
    const child = sleeper();
    children.push(root, child);
    await new Promise((r) => setTimeout(r, 200));
    const tracker = new ProcessTracker(file);
    tracker.add('srv', root.pid as number);
    const childInfo = await info(child.pid as number);
    tracker.observe('srv', root.pid as number, [await info(root.pid as number), childInfo], await readProcessTable());
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).srv.members.length, 2);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    tracker.observe('srv', root.pid as number, [await info(root.pid as number)], await readProcessTable());
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).srv.members.map((m: { pid: number }) => m.pid), [root.pid]);
  });

  it('keeps a member that left the tree while it is still alive (a grandchild re-parented to init)', async () => {
    const root = sleeper();
    const escaped = sleeper();
    children.push(root, escaped);
    await new Promise((r) => setTimeout(r, 200));
    const tracker = new ProcessTracker(file);
    tracker.add('srv', root.pid as number);
    tracker.observe('srv', root.pid as number, [await info(root.pid as number), await info(escaped.pid as number)], await readProcessTable());
    tracker.observe('srv', root.pid as number, [await info(root.pid as number)], await readProcessTable());
    const pids = JSON.parse(fs.readFileSync(file, 'utf8')).srv.members.map((m: { pid: number }) => m.pid).sort();
    assert.deepEqual(pids, [root.pid, escaped.pid].sort());
  });
});
