import { SharedMcpError } from '../../shared/errors';
import type { ServerDefinition } from '../../shared/config/configTypes';
import { formatPath } from '../../shared/config/validateConfig';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A server's environment: the base environment plus its `env`, with ${env:NAME} resolved from the base; throws CONFIG_INVALID naming an unset variable. */
export function interpolateEnv(def: ServerDefinition, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, ...resolveRefs(def, 'env', base) };
}

/** A remote server's static headers with ${env:NAME} resolved from the base environment. */
export function interpolateHeaders(def: ServerDefinition, base: NodeJS.ProcessEnv): Record<string, string> {
  return resolveRefs(def, 'headers', base);
}

function resolveRefs(def: ServerDefinition, field: 'env' | 'headers', base: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(def[field])) {
    out[key] = value.replace(ENV_REF, (_, name: string) => {
      const v = base[name];
      if (v === undefined) throw new SharedMcpError('CONFIG_INVALID', `${formatPath(['mcpServers', def.name, field, key])}: \${env:${name}} is not set in the host's environment`);
      return v;
    });
  }
  return out;
}
