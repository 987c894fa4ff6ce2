import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readProcessTable, type ProcessInfo } from '../../../../src/host/supervisor/processTable';
import { ProcessTracker } from '../../../../src/host/supervisor/processTracker';

/** A process that answers each line on its stdin with the same line: proof that it is alive and running. */
async function sleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', "process.stdin.on('data', (d) => process.stdout.write(d))"], { stdio: ['pipe', 'pipe', 'ignore'] });
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

/** Resolves once the process has echoed a line written now; a process killed before cannot. */
function answers(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.stdout?.once('data', () => resolve());
    child.stdin?.write('ping\n');
  });
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
    for (const c of children.splice(0)) {
      c.stdin?.destroy();
      c.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function info(pid: number): Promise<ProcessInfo> {
    const p = (await readProcessTable()).get(pid);
    assert.ok(p, `process ${pid} in the table`);
    return p;
  }

  it('killAllNow kills only processes whose start time still matches (a reused pid is spared) (regression)', async () => {
    const root = await sleeper();
    const stranger = await sleeper();
    children.push(root, stranger);
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
    assert.equal(isAlive(root), false);
    // A SIGKILL sent before this line would have ended it before it could run again to answer.
    await answers(stranger);
    assert.equal(isAlive(stranger), true, 'a process that is not the recorded one survives');
  });

  it('drops dead members when it observes a new sample, so the record does not grow (regression)', async () => {
    const root = await sleeper();
    const child = await sleeper();
    children.push(root, child);
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
    const root = await sleeper();
    const escaped = await sleeper();
    children.push(root, escaped);
    const tracker = new ProcessTracker(file);
    tracker.add('srv', root.pid as number);
    tracker.observe('srv', root.pid as number, [await info(root.pid as number), await info(escaped.pid as number)], await readProcessTable());
    tracker.observe('srv', root.pid as number, [await info(root.pid as number)], await readProcessTable());
    const pids = JSON.parse(fs.readFileSync(file, 'utf8')).srv.members.map((m: { pid: number }) => m.pid).sort();
    assert.deepEqual(pids, [root.pid, escaped.pid].sort());
  });

  it('logs a failing processes.json write once, and again only after a write worked (regression)', async () => {
    const root = await sleeper();
    children.push(root);
    const warnings: string[] = [];
    const missing = path.join(dir, 'gone', 'processes.json');
    const tracker = new ProcessTracker(missing, { warn: (m) => warnings.push(m) });
    tracker.add('srv', root.pid as number);
    tracker.remove('srv', root.pid as number);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /cannot record the servers' processes in .*gone\/processes\.json: ENOENT/);
    fs.mkdirSync(path.dirname(missing));
    tracker.add('srv', root.pid as number);
    fs.rmSync(path.dirname(missing), { recursive: true });
    tracker.remove('srv', root.pid as number);
    assert.equal(warnings.length, 2);
  });
});
