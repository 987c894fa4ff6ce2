import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StdioBackend } from '../../../../src/host/backends/stdioBackend';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { RotatingFile } from '../../../../src/host/logs/rotatingFile';
import { ServerLog } from '../../../../src/host/logs/serverLog';
import { parseConfig } from '../../../../src/shared/config/loadConfig';

const FIXTURE = path.resolve(__dirname, '../../../../../test/fixtures/fixtureServer.js');

describe('StdioBackend (a real fixture server process)', function () {
  this.timeout(20_000);
  let dir: string;
  let log: ServerLog;
  let backend: StdioBackend | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-stdio-'));
    log = new ServerLog(new RotatingFile(path.join(dir, 'server.log')));
  });
  afterEach(async () => {
    await backend?.close(1000);
    backend = undefined;
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<StdioBackend> {
    const def = parseConfig(JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [FIXTURE] } } }), path.join(dir, 'config.jsonc')).servers[0];
    backend = await StdioBackend.spawn(def, process.env, log, 1024 * 1024);
    await backend.initialize({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } }, 10_000);
    return backend;
  }

  it('delivers messages sent in one turn of the event loop, and after it, in the order they were sent', async () => {
    const b = await start();
    const answered: number[] = [];
    const all = new Promise<void>((resolve) => {
      b.attach((msg: JsonRpcMessage) => {
        answered.push(msg.id as number);
        if (answered.length === 60) resolve();
      });
    });
    const call = (id: number): void => b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: String(id) } } });
    // The first leaves at once, the rest of the turn in one batched write; then a second turn, then a third.
    for (let id = 1; id <= 20; id++) call(id);
    await new Promise((resolve) => setImmediate(resolve));
    for (let id = 21; id <= 40; id++) call(id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let id = 41; id <= 60; id++) call(id);
    await all;
    // The fixture answers each line as it reads it: answers in send order mean the lines arrived in send order.
    assert.deepEqual(answered, Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('drops what is sent after the process exited instead of throwing', async () => {
    const b = await start();
    const exited = new Promise((resolve) => b.onDidExit(resolve));
    process.kill(b.pid, 'SIGKILL');
    await exited;
    assert.doesNotThrow(() => b.send({ jsonrpc: '2.0', id: 1, method: 'ping' }));
  });
});
