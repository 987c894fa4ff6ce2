// Golden files per client: a realistic user config, synced with two shared servers (`memory`, and `github`, which the
// user already has), must equal test/fixtures/clientConfigs/<client>.synced.<ext> byte for byte; unsync must give the
// original back byte for byte. UPDATE_GOLDEN=1 rewrites the goldens (review the diff before committing).
import { strict as assert } from 'node:assert';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SYNC_CLIENTS, type ClientId } from '../../../../src/shared/clients/clientTargets';
import { FIXTURE, GOLDEN_DIR, SyncSandbox, goldenName } from '../../../helpers/syncHarness';

const update = process.env.UPDATE_GOLDEN === '1';

/** The golden text; with UPDATE_GOLDEN=1 and an `actual`, it becomes the golden first. */
async function golden(id: ClientId, variant: string, actual?: string): Promise<string> {
  const file = path.join(GOLDEN_DIR, goldenName(id, variant));
  if ((update && actual !== undefined) || !existsSync(file)) {
    if (!update) throw new Error(`missing golden ${file}: run with UPDATE_GOLDEN=1 and review it`);
    await fs.writeFile(file, actual as string);
  }
  return fs.readFile(file, 'utf8');
}

const crlfBom = (text: string): string => `\uFEFF${text.replace(/\r?\n/g, '\r\n')}`;

describe('client config sync: golden files per client', () => {
  let box: SyncSandbox;
  beforeEach(async () => (box = await SyncSandbox.create()));
  afterEach(async () => box.dispose());

  for (const id of SYNC_CLIENTS) {
    describe(id, () => {
      let original: string;
      beforeEach(async () => (original = await fs.readFile(path.join(GOLDEN_DIR, FIXTURE[id]), 'utf8')));

      it('adds the shared server, leaves the user entry of the same name, and unsync gives the file back byte for byte', async () => {
        await box.put(id, original);
        const { clients } = await box.service.sync({ clients: [id] });
        assert.equal(clients[0].status, 'written', clients[0].error);
        assert.deepEqual(clients[0].added, ['memory']);
        assert.deepEqual(clients[0].conflicts.map((c) => c.name), ['github']);
        const synced = await box.read(id);
        assert.equal(synced, await golden(id, 'synced', synced));
        const un = await box.service.unsync({ clients: [id] });
        assert.deepEqual(un.clients[0].removed, ['memory']);
        assert.equal(await box.read(id), original);
      });

      it('keeps CRLF line endings and a BOM', async () => {
        await box.put(id, crlfBom(original));
        await box.service.sync({ clients: [id] });
        assert.equal(await box.read(id), crlfBom(await golden(id, 'synced')));
        await box.service.unsync({ clients: [id] });
        assert.equal(await box.read(id), crlfBom(original));
      });

      it('with force, replaces the user entry and unsync puts it back exactly', async () => {
        await box.put(id, original);
        const { clients } = await box.service.sync({ clients: [id], force: true });
        assert.deepEqual(clients[0].replaced, ['github']);
        const forced = await box.read(id);
        assert.equal(forced, await golden(id, 'forced', forced));
        const un = await box.service.unsync({ clients: [id] });
        assert.deepEqual(un.clients[0].restored, ['github']);
        assert.equal(await box.read(id), original);
      });
    });
  }
});
