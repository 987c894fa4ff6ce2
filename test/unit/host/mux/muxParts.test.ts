import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { recoverId } from '../../../../src/host/backends/lineFramer';
import type { ClientSession } from '../../../../src/host/mux/clientSession';
import { mostVerbose } from '../../../../src/host/mux/logLevels';
import { SessionStore, SESSION_RETENTION_MS } from '../../../../src/host/mux/sessionStore';
import { unavailable } from '../../../../src/host/mux/supervisorSource';
import { SubscriptionTable } from '../../../../src/host/mux/subscriptionTable';
import { filterToolsResult, toolAllowed } from '../../../../src/host/mux/toolFilter';

const session = (): ClientSession => ({}) as ClientSession;

describe('toolFilter', () => {
  it('applies enabled, then disabled', () => {
    assert.equal(toolAllowed({}, 'x'), true);
    assert.equal(toolAllowed({ enabled: ['a'] }, 'x'), false);
    assert.equal(toolAllowed({ enabled: ['a', 'x'], disabled: ['x'] }, 'x'), false);
    assert.deepEqual(filterToolsResult({ disabled: ['b'] }, { tools: [{ name: 'a' }, { name: 'b' }], nextCursor: 'c' }), { tools: [{ name: 'a' }], nextCursor: 'c' });
  });
});

describe('mostVerbose', () => {
  it('picks the lowest level, ignoring unknown ones', () => {
    assert.equal(mostVerbose(['error', 'info', 'bogus']), 'info');
    assert.equal(mostVerbose([]), undefined);
  });
});

describe('SubscriptionTable', () => {
  it('says when the backend must subscribe and unsubscribe', () => {
    const t = new SubscriptionTable();
    const [a, b] = [session(), session()];
    assert.equal(t.add('u', a), true);
    assert.equal(t.add('u', b), false);
    assert.equal(t.remove('u', a), false);
    assert.deepEqual([...t.subscribers('u')], [b]);
    assert.deepEqual(t.removeSession(b), ['u']);
    assert.deepEqual(t.uris(), []);
  });
});

describe('recoverId', () => {
  it("finds the id at either end of an oversized message, as servers write it", () => {
    assert.equal(recoverId(Buffer.from('{"jsonrpc":"2.0","id":42,"result":{"content":[{"id":7'), Buffer.alloc(0)), 42);
    assert.equal(recoverId(Buffer.from('{"result":{"x":"'), Buffer.from('xxx"}},"jsonrpc":"2.0","id":"s-1"}')), 's-1');
    assert.equal(recoverId(Buffer.from('{"result":{"id":3'), Buffer.from('xx"}}}')), undefined);
  });
});

describe('SessionStore', () => {
  it('persists records, drops old ones, and survives a damaged file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
    const file = path.join(dir, 'sessions.json');
    const now = Date.now();
    const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } };
    const s = new SessionStore(file);
    s.put({ id: 'new', endpoint: 'e', protocolVersion: '2025-11-25', init, createdAt: now, lastActivity: now });
    s.put({ id: 'old', endpoint: 'e', protocolVersion: '2025-11-25', init, createdAt: 0, lastActivity: now - SESSION_RETENTION_MS - 1 });
    await s.flush();
    const again = new SessionStore(file);
    await again.load(now);
    assert.ok(again.get('new'));
    assert.equal(again.get('old'), undefined);
    await fs.writeFile(file, '{broken');
    const damaged = new SessionStore(file);
    await damaged.load();
    assert.equal(damaged.get('new'), undefined);
    await fs.rm(dir, { recursive: true });
  });
});

describe('SessionStore writes', () => {
  const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } };
  const record = (id: string, extra: Record<string, unknown> = {}) => ({ id, endpoint: 'e', protocolVersion: '2025-11-25', init: { ...init, ...extra }, createdAt: 1, lastActivity: Date.now() });

  it('logs and leaves out a record that cannot be serialized, and later writes still land (regression: sessions.json was never written again)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
    const file = path.join(dir, 'sessions.json');
    const lines: string[] = [];
    const s = new SessionStore(file, (m) => void lines.push(m));
    // 6,000 levels deep: JSON.stringify throws RangeError on it.
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 6000; i++) deep = { d: deep };
    s.put(record('hostile-session-id', { clientInfo: deep }));
    await s.flush();
    s.put(record('later'));
    await s.flush();
    const again = new SessionStore(file);
    await again.load();
    assert.ok(again.get('later'), 'the later write landed');
    assert.equal(again.get('hostile-session-id'), undefined);
    assert.equal(lines.filter((l) => /session hostile- left out, it cannot be saved/.test(l)).length, 1, lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('hostile-session-id')), 'never the whole session id (a credential)');
    await fs.rm(dir, { recursive: true });
  });

  it('logs a write that fails, once while it keeps failing, and writes again once it can', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
    const file = path.join(dir, 'missing-dir', 'sessions.json');
    const lines: string[] = [];
    const s = new SessionStore(file, (m) => void lines.push(m));
    s.put(record('a'));
    await s.flush();
    s.put(record('b'));
    await s.flush();
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /could not write .*sessions\.json: no such file or folder/);
    await fs.mkdir(path.dirname(file));
    await s.flush();
    const again = new SessionStore(file);
    await again.load();
    assert.ok(again.get('a') && again.get('b'));
    await fs.rm(dir, { recursive: true });
  });
});

describe('unavailable: the answer for a server that is not starting', () => {
  it('names the server, its state and its last error, with them as data', () => {
    const e = unavailable({ name: 'crashy', state: 'failed', lastError: 'exited with code 1' });
    assert.equal(e.message, 'crashy failed: exited with code 1; see its log (shared-mcp logs crashy)');
    assert.deepEqual(e.details, { server: 'crashy', state: 'failed', lastError: 'exited with code 1' });
    assert.equal(unavailable({ name: 'r', state: 'needs-auth', lastError: 'token expired' }).code, 'NEEDS_AUTH');
    assert.match(unavailable({ name: 's', state: 'stopped', lastError: null }).message, /^s stopped \(start it with `shared-mcp up s`\)$/);
  });
});
