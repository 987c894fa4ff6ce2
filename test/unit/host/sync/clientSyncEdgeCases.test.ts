// Regressions from the review of client config sync: each case once lost, damaged or orphaned something.
import { strict as assert } from 'node:assert';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SyncSandbox, claudeEntry, claudeOriginal } from '../../../helpers/syncHarness';

const ours = claudeEntry;

describe('client config sync: edge cases (regressions)', () => {
  let box: SyncSandbox;
  beforeEach(async () => {
    box = await SyncSandbox.create();
    box.servers = ['memory'];
  });
  afterEach(async () => box.dispose());

  it('leaves a file that is not UTF-8 alone (a decode and encode would change its bytes)', async () => {
    const latin1 = Buffer.from('{ "mcpServers": {}, "note": "caf\xe9" }\n', 'latin1');
    await box.put('cursor', latin1);
    const { clients } = await box.service.sync({ clients: ['cursor'] });
    assert.equal(clients[0].status, 'error');
    assert.equal(clients[0].error, 'mcp.json is not UTF-8 text (saved in another encoding?); it was not changed');
    assert.ok((await fs.readFile(box.file('cursor'))).equals(latin1));
  });

  it('a symlink to a file not made yet stays a link: the file appears at its target, and goes again on unsync', async () => {
    const target = path.join(box.root, 'dotfiles', 'cursor-mcp.json');
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.mkdir(path.dirname(box.file('cursor')), { recursive: true });
    await fs.symlink(target, box.file('cursor'));
    await box.service.sync({ clients: ['cursor'] });
    assert.ok((await fs.lstat(box.file('cursor'))).isSymbolicLink());
    assert.deepEqual(JSON.parse(await fs.readFile(target, 'utf8')).mcpServers.memory.url, ours().url);
    await box.service.unsync({ clients: ['cursor'] });
    assert.ok((await fs.lstat(box.file('cursor'))).isSymbolicLink(), 'the link is still there');
    assert.ok(!existsSync(target), 'and points at nothing again, as before');
  });

  it('an entry of ours the ledger lost (host killed mid-sync) is recognized by our token: updated, then removed', async () => {
    await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'] });
    await fs.rm(box.paths.syncLedger);
    box.port = 19107;
    const { clients } = await box.service.sync({ clients: ['claude'] });
    assert.deepEqual([clients[0].updated, clients[0].conflicts], [['memory'], []]);
    assert.deepEqual(JSON.parse(await box.read('claude')).mcpServers.memory, ours(19107));
    const un = await box.service.unsync({ clients: ['claude'] });
    assert.deepEqual(un.clients[0].removed, ['memory']);
    assert.equal(await box.read('claude'), await claudeOriginal());
  });

  it('an entry the user changed stays theirs even though it still carries our token', async () => {
    await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'] });
    const doc = JSON.parse(await box.read('claude'));
    doc.mcpServers.memory.headers['X-Mine'] = '1';
    await box.put('claude', JSON.stringify(doc, null, 2));
    assert.deepEqual((await box.service.sync({ clients: ['claude'] })).clients[0].released, ['memory']);
    const again = await box.service.sync({ clients: ['claude'] });
    assert.deepEqual(again.clients[0].conflicts.map((c) => c.name), ['memory'], 'not taken back as ours');
    await box.service.unsync({ clients: ['claude'] });
    assert.equal(JSON.parse(await box.read('claude')).mcpServers.memory.headers['X-Mine'], '1');
  });

  it("when a client's file moves (CLAUDE_CONFIG_DIR now set), our entries leave the old file and go to the new one", async () => {
    const oldFile = await box.put('claude', await claudeOriginal());
    await box.service.sync({ clients: ['claude'] });
    box.clientEnv.env.CLAUDE_CONFIG_DIR = path.join(box.root, 'claude-config');
    await box.put('claude', '{}\n');
    const { clients } = await box.service.sync({ clients: ['claude'] });
    assert.deepEqual(clients.map((c) => [c.file, c.removed, c.added]), [
      [oldFile, ['memory'], []],
      [box.file('claude'), [], ['memory']],
    ]);
    assert.equal(await fs.readFile(oldFile, 'utf8'), await claudeOriginal());
    await box.service.unsync({ clients: ['claude'] });
    assert.equal(await box.read('claude'), '{}\n');
  });

  it('adds the server table to a file that starts with a comment, or holds only {}', async () => {
    for (const text of ['// my settings\n{}\n', '{}\n', '{\n  "theme": "dark"\n}\n// the end\n']) {
      await box.put('gemini', text);
      const { clients } = await box.service.sync({ clients: ['gemini'] });
      assert.equal(clients[0].status, 'written', `${JSON.stringify(text)}: ${clients[0].error}`);
      const out = await box.read('gemini');
      assert.ok(out.startsWith(text.startsWith('//') ? '// my settings\n{' : '{'), out);
      await box.service.unsync({ clients: ['gemini'] });
      assert.equal(await box.read('gemini'), text);
    }
  });

  it('refuses a file that names the server table twice (the client reads the last one)', async () => {
    const text = '{ "mcpServers": {}, "x": 1, "mcpServers": { "a": { "command": "x" } } }\n';
    await box.put('cursor', text);
    const { clients } = await box.service.sync({ clients: ['cursor'] });
    assert.equal(clients[0].error, '"mcpServers" appears twice at the top level; keep one, it was not changed');
    assert.equal(await box.read('cursor'), text);
  });

  it('codex: a BOM before a first-line table, and integers beyond 2^53, are no obstacle', async () => {
    const text = '\uFEFF[mcp_servers.memory]\ncommand = "npx"\n\n[limits]\nbig = 9007199254740993\n';
    await box.put('codex', text);
    const { clients } = await box.service.sync({ clients: ['codex'], force: true });
    assert.deepEqual([clients[0].status, clients[0].replaced], ['written', ['memory']], clients[0].error);
    assert.ok((await box.read('codex')).includes('big = 9007199254740993'));
    await box.service.unsync({ clients: ['codex'] });
    assert.equal(await box.read('codex'), text);
  });

  it('after a reload, syncs again only when what clients get changed (not on every save of config.jsonc)', async () => {
    await box.put('claude', await claudeOriginal());
    await box.service.sync();
    const first = box.service.state.lastAt;
    assert.equal(box.service.scheduleAutoIfChanged(), false, 'same servers, same clients: no sync');
    await box.service.settled();
    assert.equal(box.service.state.lastAt, first);
    box.servers = ['memory', 'other'];
    assert.equal(box.service.scheduleAutoIfChanged(), true);
    await box.service.settled();
    assert.notEqual(box.service.state.lastAt, first);
    assert.ok(JSON.parse(await box.read('claude')).mcpServers.other);
  });
});
