import { SharedMcpError } from '../../shared/errors';
import type { ServerDefinition } from '../../shared/config/configTypes';
import { formatPath } from '../../shared/config/validateConfig';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A server's environment: the base environment plus its `env`, with ${env:NAME} resolved from the base; throws CONFIG_INVALID naming an unset variable. */
export function interpolateEnv(def: ServerDefinition, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of Object.entries(def.env)) {
    env[key] = value.replace(ENV_REF, (_, name: string) => {
      const v = base[name];
      if (v === undefined) throw new SharedMcpError('CONFIG_INVALID', `${formatPath(['mcpServers', def.name, 'env', key])}: \${env:${name}} is not set in the host's environment`);
      return v;
    });
  }
  return env;
}
