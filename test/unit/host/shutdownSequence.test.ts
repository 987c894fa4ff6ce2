import { strict as assert } from 'node:assert';
import { runShutdown, type ShutdownStep } from '../../../src/host/shutdownSequence';

describe('runShutdown', () => {
  const lines: string[] = [];
  const log = { info: (m: string) => void lines.push(`info ${m}`), error: (m: string) => void lines.push(`error ${m}`) };
  beforeEach(() => void lines.splice(0));

  it('runs every step in order, also after one throws, one rejects and one hangs (regression: a rejected step left a zombie)', async () => {
    const ran: string[] = [];
    const step = (name: string, run: () => Promise<void> | void, timeoutMs = 1000): ShutdownStep => ({ name, timeoutMs, run: () => (ran.push(name), run()) });
    const failed = await runShutdown(
      [
        step('stop accepting', () => undefined),
        step('throws', () => {
          throw new Error('sync boom');
        }),
        step('rejects', async () => Promise.reject(new RangeError('Invalid string length'))),
        step('hangs', () => new Promise<void>(() => undefined), 20),
        step('release host.json', async () => undefined),
      ],
      log,
    );
    assert.deepEqual(ran, ['stop accepting', 'throws', 'rejects', 'hangs', 'release host.json']);
    assert.deepEqual(failed, ['throws', 'rejects', 'hangs']);
    assert.deepEqual(lines, [
      'error shutdown: throws failed: sync boom',
      'error shutdown: rejects failed: Invalid string length',
      'error shutdown: hangs did not finish within 20 ms; going on',
    ]);
  });

  it('resolves with nothing failed when every step finishes', async () => {
    assert.deepEqual(await runShutdown([{ name: 'a', timeoutMs: 100, run: async () => undefined }], log), []);
    assert.deepEqual(lines, []);
  });
});
