import { SharedMcpError } from '../../shared/errors';
import type { ServerDefinition } from '../../shared/config/configTypes';
import { formatPath } from '../../shared/config/validateConfig';

/** ${env:NAME} or ${secret:NAME}, matched in one pass so a value put in is never read for references again. */
const REF = /\$\{(?:env:([A-Za-z_][A-Za-z0-9_]*)|secret:([A-Za-z_][A-Za-z0-9_.-]*))\}/g;
const SECRET_REF = /\$\{secret:([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** A secret's value by name; undefined when the host's store lacks it. */
export type SecretLookup = (name: string) => string | undefined;

/** A server's environment: the base environment plus its `env`, with ${env:NAME} and ${secret:NAME} resolved; throws SECRET_MISSING or CONFIG_INVALID. */
export function interpolateEnv(def: ServerDefinition, base: NodeJS.ProcessEnv, secrets: SecretLookup): NodeJS.ProcessEnv {
  return { ...base, ...resolveRefs(def, 'env', base, secrets) };
}

/** A remote server's static headers with ${env:NAME} and ${secret:NAME} resolved; throws like interpolateEnv. */
export function interpolateHeaders(def: ServerDefinition, base: NodeJS.ProcessEnv, secrets: SecretLookup): Record<string, string> {
  return resolveRefs(def, 'headers', base, secrets);
}

/** The secret names a server's env and headers refer to: sorted, each once. */
export function secretRefs(def: ServerDefinition): string[] {
  const names = new Set<string>();
  for (const value of [...Object.values(def.env), ...Object.values(def.headers)]) {
    for (const m of value.matchAll(SECRET_REF)) names.add(m[1]);
  }
  return [...names].sort();
}

/** The secrets a server refers to that the lookup lacks: sorted, each once. */
export function missingSecrets(def: ServerDefinition, secrets: SecretLookup): string[] {
  return secretRefs(def).filter((name) => secrets(name) === undefined);
}

/** A server's reason for waiting in needs-secret: every missing name (never a value), and how to set them. */
export function missingSecretsMessage(names: string[]): string {
  const one = names.length === 1;
  return `missing secret${one ? '' : 's'}: ${names.join(', ')} (set ${one ? 'it' : 'them'} with \`shared-mcp secret set ${one ? names[0] : '<NAME>'}\` or "Shared MCP: Set Secret…" in VS Code)`;
}

function resolveRefs(def: ServerDefinition, field: 'env' | 'headers', base: NodeJS.ProcessEnv, secrets: SecretLookup): Record<string, string> {
  // Every missing secret of the server at once (env and headers), so the user sets them in one go.
  const missing = missingSecrets(def, secrets);
  if (missing.length > 0) throw new SharedMcpError('SECRET_MISSING', missingSecretsMessage(missing), { names: missing });
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(def[field])) {
    out[key] = value.replace(REF, (_, envName: string | undefined, secretName: string | undefined) => {
      if (secretName !== undefined) return secrets(secretName) as string;
      const v = base[envName as string];
      if (v === undefined) throw new SharedMcpError('CONFIG_INVALID', `${formatPath(['mcpServers', def.name, field, key])}: \${env:${envName}} is not set in the host's environment`);
      return v;
    });
  }
  return out;
}
