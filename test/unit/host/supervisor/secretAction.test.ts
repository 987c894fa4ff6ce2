import { strict as assert } from 'node:assert';
import { secretAction } from '../../../../src/host/supervisor/secretAction';
import type { ServerState } from '../../../../src/shared/controlTypes';

describe('secretAction', () => {
  it('restarts a server that is up, whatever is missing now (a deleted secret then leaves it waiting)', () => {
    for (const state of ['running', 'starting', 'crashed'] as ServerState[]) {
      assert.equal(secretAction(state, false, []), 'restart', state);
      assert.equal(secretAction(state, true, ['A']), 'restart', state);
    }
  });

  it('starts a waiting server once nothing is missing; a lazy one rests (idle) until a request', () => {
    for (const state of ['needs-secret', 'needs-auth', 'failed'] as ServerState[]) {
      assert.equal(secretAction(state, false, []), 'start', state);
      assert.equal(secretAction(state, true, []), 'rest', state);
    }
  });

  it('keeps waiting, with the names that are left, while some are still missing', () => {
    for (const state of ['needs-secret', 'needs-auth', 'failed'] as ServerState[]) {
      assert.equal(secretAction(state, false, ['B']), 'wait', state);
      assert.equal(secretAction(state, true, ['B']), 'wait', state);
    }
  });

  it('lets an idle server take its resting state again (needs-secret when one was deleted)', () => {
    assert.equal(secretAction('idle', true, ['A']), 'rest');
    assert.equal(secretAction('idle', true, []), 'rest');
  });

  it('leaves stopped, disabled and stopping servers alone', () => {
    for (const state of ['stopped', 'disabled', 'stopping'] as ServerState[]) assert.equal(secretAction(state, false, []), 'none', state);
  });
});
