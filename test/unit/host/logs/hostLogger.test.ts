import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Emitter } from '../../../../src/shared/emitter';
import { HostLogger } from '../../../../src/host/logs/hostLogger';
import { Redactor } from '../../../../src/host/logs/redactor';
import { RotatingFile } from '../../../../src/host/logs/rotatingFile';

describe('HostLogger', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-hostlog-'));
    file = path.join(dir, 'host.log');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lines = (): string[] => fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);

  it('writes one line per message, whatever it contains: no message can forge a line (regression)', () => {
    const log = new HostLogger(new RotatingFile(file), 'info', false);
    log.info('session 1a2b3c4d of evil\n2026-01-01T00:00:00.000Z error forged line\r\u001b[2K resumed');
    log.error('request failed: Error: boom\n    at handler (file.js:1:1)');
    log.close();
    const written = lines();
    assert.equal(written.length, 2, written.join('\n'));
    assert.match(written[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z info  session 1a2b3c4d of evil\\n2026-01-01T00:00:00\.000Z error forged line\\r\\u001b\[2K resumed$/);
    assert.match(written[1], /error request failed: Error: boom\\n {4}at handler/);
  });

  it('redacts before it escapes: a secret with a control character in it is still found', () => {
    const redactor = new Redactor();
    redactor.addSource({ values: () => ['multi\u0001secret-value'], onDidChange: new Emitter<void>().event });
    const log = new HostLogger(new RotatingFile(file), 'info', false, (t) => redactor.redact(t));
    log.warn('value multi\u0001secret-value shown');
    log.close();
    assert.deepEqual(lines().map((l) => l.replace(/^\S+ /, '')), ['warn  value [redacted] shown']);
  });
});
