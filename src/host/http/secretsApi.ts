import { SharedMcpError } from '../../shared/errors';
import type { SecretsList, SecretsUpdate } from '../../shared/controlTypes';
import { SECRET_NAME_RULE, isSecretName } from '../../shared/secretName';
import type { SecretStore } from '../secretStore';
import type { ServerSet } from '../serverSet';

const SHAPE = 'expected {"set": {"NAME": "value"}, "delete": ["NAME"]}';

/** Every secret the host knows of (set, or referred to by a server), sorted by name. */
export function secretsList(secrets: SecretStore, servers: ServerSet): SecretsList {
  const users = servers.secretUsers();
  const names = [...new Set([...users.keys(), ...secrets.names()])].sort();
  return { secrets: names.map((name) => ({ name, set: secrets.has(name), servers: users.get(name) ?? [] })) };
}

/** Checks a POST /api/secrets body; errors name the key or name at fault, never a value. */
export function parseSecretsUpdate(body: unknown): Required<SecretsUpdate> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw bad(SHAPE);
  const { set = {}, delete: remove = [], ...rest } = body as SecretsUpdate;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw bad(`unknown key ${JSON.stringify(unknown[0])}: ${SHAPE}`);
  if (!set || typeof set !== 'object' || Array.isArray(set)) throw bad(`"set" must be an object of names to values: ${SHAPE}`);
  if (!Array.isArray(remove)) throw bad(`"delete" must be an array of names: ${SHAPE}`);
  for (const [name, value] of Object.entries(set)) {
    checkName(name);
    if (typeof value !== 'string') throw bad(`secret ${name}: the value must be a string`);
    if (value === '') throw bad(`secret ${name}: the value is empty (to remove a secret, delete it)`);
    if (value.includes('\0')) throw bad(`secret ${name}: the value contains a NUL character, which no environment variable or header can hold`);
  }
  for (const name of remove) {
    if (typeof name !== 'string') throw bad(`"delete" must be an array of names: ${SHAPE}`);
    checkName(name);
    if (Object.prototype.hasOwnProperty.call(set, name)) throw bad(`secret ${name} is both set and deleted`);
  }
  return { set, delete: remove };
}

/** Not echoed: what was sent as a name may be a value in the wrong place. */
function checkName(name: string): void {
  if (!isSecretName(name)) throw bad(`invalid secret name: ${SECRET_NAME_RULE}`);
}

function bad(message: string): SharedMcpError {
  return new SharedMcpError('BAD_REQUEST', message);
}
