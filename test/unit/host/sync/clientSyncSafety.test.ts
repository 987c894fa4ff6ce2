// Client config sync against hostile real-world files: unparseable, symlinked, private, huge, rewritten by their own
// program while we sync, locked. The rule in every case: what is not ours is never lost.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { lock } from 'proper-lockfile';
import { FIXTURES } from '../../../helpers/hostHarness';
import { SyncSandbox, claudeEntry, claudeOriginal } from '../../../helpers/syncHarness';

const ours = claudeEntry;

describe('client config sync: safety', () => {
  let box: SyncSandbox;
  beforeEach(async () => {
    box = await SyncSandbox.create();
    box.servers = ['memory'];
  });
  afterEach(async () => box.dispose());

  it('never writes a file that does not parse, says where in one line, and still syncs the other clients', async () => {
    const broken = '{\n  "mcpServers": {\n    "github": { "command": "npx" },,\n  }\n}\n';
    await box.put('claude', broken);
    await box.put('codex', 'model = "o3"\n');
    const { clients } = await box.service.sync({ clients: ['claude', 'codex'] });
    assert.equal(clients[0].status, 'error');
    assert.match(clients[0].error ?? '', /^the file does not parse \(\w+ at 3:\d+\); it was not changed$/);
    assert.equal(await box.read('claude'), broken);
    assert.equal(clients[1].status, 'written');
    assert.ok(!existsSync(box.paths.backups + '/claude'), 'no backup: nothing was written');
  });

  it('writes through a symlink (the link stays a link) and keeps the file mode', async () => {
    const dotfiles = path.join(box.root, 'dotfiles', 'claude.json');
    await fs.mkdir(path.dirname(dotfiles));
    await fs.writeFile(dotfiles, await claudeOriginal(), { mode: 0o600 });
    await fs.chmod(dotfiles, 0o600);
    await fs.symlink(dotfiles, box.file('claude'));
    await box.service.sync({ clients: ['claude'] });
    assert.ok((await fs.lstat(box.file('claude'))).isSymbolicLink(), 'still a link');
    assert.deepEqual(JSON.parse(await fs.readFile(dotfiles, 'utf8')).mcpServers.memory, ours());
    assert.equal((await fs.stat(dotfiles)).mode & 0o777, 0o600);
    await box.service.unsync({ clients: ['claude'] });
    assert.equal(await fs.readFile(dotfiles, 'utf8'), await claudeOriginal());
    assert.ok((await fs.lstat(box.file('claude'))).isSymbolicLink());
  });

  it('creates a missing file privately (it holds a token), and unsync removes it again', async () => {
    await fs.mkdir(path.dirname(box.file('cursor')), { recursive: true });
    const { clients } = await box.service.sync({ clients: ['cursor'] });
    assert.equal(clients[0].status, 'written');
    assert.equal((await fs.stat(box.file('cursor'))).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await box.read('cursor')), { mcpServers: { memory: { url: ours().url, headers: ours().headers } } });
    await box.service.unsync({ clients: ['cursor'] });
    assert.ok(!existsSync(box.file('cursor')));
  });

  it('follows a port change, and removes the entry of a server that left the config', async () => {
    await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'] });
    box.port = 19105;
    assert.deepEqual((await box.service.sync({ clients: ['claude'] })).clients[0].updated, ['memory']);
    assert.deepEqual(JSON.parse(await box.read('claude')).mcpServers.memory, ours(19105));
    box.servers = [];
    assert.deepEqual((await box.service.sync({ clients: ['claude'] })).clients[0].removed, ['memory']);
    assert.equal(await box.read('claude'), await claudeOriginal());
  });

  it('an entry of ours the user changed is theirs from then on', async () => {
    await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'] });
    const doc = JSON.parse(await box.read('claude'));
    doc.mcpServers.memory.url = 'http://127.0.0.1:9999/mine';
    await box.put('claude', JSON.stringify(doc, null, 2));
    const again = await box.service.sync({ clients: ['claude'] });
    assert.deepEqual(again.clients[0].released, ['memory']);
    assert.deepEqual(again.clients[0].conflicts.map((c) => c.name), ['memory']);
    await box.service.unsync({ clients: ['claude'] });
    assert.equal(JSON.parse(await box.read('claude')).mcpServers.memory.url, 'http://127.0.0.1:9999/mine');
  });

  it('after the client rewrote its file, unsync takes out only our entry and gives back the replaced one', async () => {
    box.servers = ['memory', 'github'];
    await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'], force: true });
    // Claude Code rewrites the whole file on its own schedule (JSON.stringify, new keys).
    const doc = JSON.parse(await box.read('claude'));
    doc.numStartups = 43;
    await box.put('claude', JSON.stringify(doc, null, 2));
    const un = await box.service.unsync({ clients: ['claude'] });
    assert.deepEqual(un.clients[0].removed, ['memory']);
    assert.deepEqual(un.clients[0].restored, ['github']);
    const expected = JSON.parse(await claudeOriginal());
    expected.numStartups = 43;
    assert.deepEqual(JSON.parse(await box.read('claude')), expected);
  });

  it('codex: a line the user added after our table survives unsync', async () => {
    await box.put('codex', 'model = "o3"\n');
    await box.service.sync({ clients: ['codex'] });
    await fs.appendFile(box.file('codex'), '\n[profiles.x]\nmodel = "o4"\n');
    await box.service.unsync({ clients: ['codex'] });
    assert.equal(await box.read('codex'), 'model = "o3"\n\n[profiles.x]\nmodel = "o4"\n');
  });

  it('a dry run shows the diff and writes nothing, ledger included', async () => {
    await box.put('claude', await claudeOriginal());
    const { clients } = await box.service.sync({ clients: ['claude'], dryRun: true });
    assert.equal(clients[0].status, 'would-write');
    assert.match(clients[0].diff ?? '', /^--- a.*\.claude\.json\n\+\+\+ b.*\n@@ -17,6 \+17,13 @@\n/);
    assert.ok((clients[0].diff ?? '').includes('+    "memory": {'));
    assert.equal(await box.read('claude'), await claudeOriginal());
    assert.ok(!existsSync(box.paths.syncLedger));
  });

  it('"auto" syncs the clients whose config folder exists; unsync pauses it, sync resumes it', async () => {
    await box.put('codex', '');
    await fs.mkdir(path.join(box.clientEnv.env.HOME as string, '.gemini'));
    const { clients } = await box.service.sync();
    assert.deepEqual(clients.map((c) => c.client).sort(), ['codex', 'gemini']);
    await box.service.unsync();
    assert.equal(box.service.state.paused, true);
    box.service.scheduleAuto();
    await box.service.settled();
    assert.equal(await box.read('codex'), '', 'a paused sync writes nothing');
    await box.service.sync();
    assert.ok((await box.read('codex')).includes('[mcp_servers.memory]'));
  });

  it('a ~/.claude.json of 20 MB: one sync and unsync, byte for byte', async function () {
    this.timeout(60_000);
    const doc = JSON.parse(await claudeOriginal());
    for (let i = 0; i < 4000; i++) doc.projects[`/home/me/src/p${i}`] = { history: Array.from({ length: 20 }, (_, j) => ({ display: `${'x'.repeat(200)}${j}`, pastedContents: {} })), allowedTools: [] };
    const big = JSON.stringify(doc, null, 2);
    assert.ok(big.length > 20e6);
    await box.put('claude', big);
    await box.service.sync({ clients: ['claude'] });
    assert.deepEqual(JSON.parse(await box.read('claude')).mcpServers.memory, ours());
    await box.service.unsync({ clients: ['claude'] });
    assert.ok((await box.read('claude')) === big);
  });

  it('waits for Claude Code\'s lock, breaks an abandoned one, and gives up on one held too long (file untouched)', async function () {
    this.timeout(30_000);
    const file = await box.put('claude', await claudeOriginal());
    // Abandoned: a lock directory whose mtime is a minute old.
    await fs.mkdir(`${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(`${file}.lock`, old, old);
    assert.equal((await box.service.sync({ clients: ['claude'] })).clients[0].status, 'written');
    // Held (and kept fresh) by a live writer for longer than we wait.
    box.servers = ['memory', 'other'];
    const release = await lock(file, { lockfilePath: `${file}.lock`, realpath: false });
    try {
      const { clients } = await box.service.sync({ clients: ['claude'] });
      assert.equal(clients[0].status, 'error');
      assert.match(clients[0].error ?? '', /stayed locked/);
      assert.equal(JSON.parse(await box.read('claude')).mcpServers.other, undefined);
    } finally {
      await release();
    }
  });

  it('another process rewriting ~/.claude.json in a loop under its lock while we sync: no lost update on either side', async function () {
    this.timeout(120_000);
    const file = await box.put('claude', await claudeOriginal());
    const ROUNDS = 300;
    const writer = spawn(process.execPath, [path.join(FIXTURES, 'claudeConfigWriter.js'), file, String(ROUNDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    writer.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((r) => writer.on('exit', r));
    let syncs = 0;
    let exited = false;
    void done.then(() => (exited = true));
    while (!exited) {
      box.port = 19100 + (syncs % 7) + 1; // every round changes our entry, so every round writes
      const { clients } = await box.service.sync({ clients: ['claude'] });
      assert.notEqual(clients[0].status, 'error', clients[0].error);
      syncs++;
    }
    assert.equal(await done, 0, stderr);
    const final = JSON.parse(await box.read('claude'));
    assert.equal(final.writerCounter, ROUNDS, 'every write of the other process is there');
    assert.deepEqual(final.mcpServers.memory, ours(box.port), 'our last write is there');
    assert.ok(syncs >= 3, `only ${syncs} syncs ran during the writer's loop`);
  });

  it('a corrupt ledger is set aside; entries of ours are still known by the host\'s token', async () => {
    await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'] });
    await fs.writeFile(box.paths.syncLedger, '{ not json');
    const { clients } = await box.service.unsync({ clients: ['claude'] });
    assert.deepEqual(clients[0].removed, ['memory']);
    assert.ok((await fs.readdir(box.paths.state)).some((n) => n.startsWith('sync.json.corrupt-')));
    assert.equal(await box.read('claude'), await claudeOriginal());
  });
});
