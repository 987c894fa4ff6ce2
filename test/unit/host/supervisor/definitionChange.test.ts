import { strict as assert } from 'node:assert';
import { changedFields, restartNeeded } from '../../../../src/host/supervisor/definitionChange';
import { definition } from '../../../helpers/fakeOpener';

describe('definitionChange (what a reload restarts)', () => {
  const base = { args: ['a'], env: { A: '1', B: '2' }, roots: ['/r'] };

  it('does not restart for what the host reads live', () => {
    for (const change of [{ tools: { enabled: ['x'] } }, { roots: ['/other'] }, { idleTimeout: '1m' }, { requestTimeout: '5s' }, { startupTimeout: '5s' }, { autoStart: 'lazy' }, { resourceLimits: { maxMemory: '1G', maxRestarts: 1, restartDelay: 5, maxMessageSize: '1M', maxQueueSize: '1M' } }]) {
      assert.equal(restartNeeded(definition(base), definition({ ...base, ...change })), false, JSON.stringify(change));
    }
  });

  it('restarts for what reaches the process, and when roots appear or go', () => {
    for (const change of [{ args: ['b'] }, { env: { A: '2', B: '2' } }, { cwd: '/tmp' }, { command: 'other' }, { sharing: 'per-session' }, { disabled: true }, { roots: [] }]) {
      assert.equal(restartNeeded(definition(base), definition({ ...base, ...change })), true, JSON.stringify(change));
    }
    const remote = { type: 'http', url: 'http://127.0.0.1:1/mcp', command: undefined };
    assert.equal(restartNeeded(definition(remote), definition({ ...remote, url: 'http://127.0.0.1:2/mcp' })), true);
    assert.equal(restartNeeded(definition(remote), definition({ ...remote, headers: { X: 'y' } })), true);
  });

  it('key order in env is no change', () => {
    assert.deepEqual(changedFields(definition(base), definition({ ...base, env: { B: '2', A: '1' } })), []);
  });
});
