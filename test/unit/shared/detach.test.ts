import { strict as assert } from 'node:assert';
import { detach } from '../../../src/shared/detach';

describe('detach', () => {
  it('hands a rejection to onError, and nothing is left unhandled even when onError throws', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      const seen: unknown[] = [];
      detach(Promise.reject(new Error('boom')), (err) => seen.push((err as Error).message));
      detach(Promise.reject(new Error('again')), () => {
        throw new Error('the reporter fails too');
      });
      detach(Promise.resolve(1), () => seen.push('never'));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(seen, ['boom']);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
