import type { ServerDefinition } from '../../shared/config/configTypes';
import { interpolateHeaders, secretRefs, type SecretLookup } from '../supervisor/serverEnv';

/**
 * Where a remote backend gets its credentials: asked before EVERY request (never fixed at connect), so a token
 * that is refreshed or replaced is used by the next request without reconnecting. OAuth adds a source later.
 */
export interface CredentialSource {
  /** Headers to set on the next request (Authorization, API keys); throws SECRET_MISSING when one cannot be had. */
  headers(): Promise<Record<string, string>>;
  /** What the user does when the server refuses these credentials: one sentence. */
  readonly hint: string;
}

/** The config's static `headers`, with ${secret:NAME} and ${env:NAME} resolved again for each request. */
export function staticHeaders(def: ServerDefinition, baseEnv: NodeJS.ProcessEnv, secrets: SecretLookup): CredentialSource {
  const used = secretRefs({ ...def, env: {} });
  const hint =
    used.length > 0
      ? `set a new value with \`shared-mcp secret set ${used[0]}\` (or "Shared MCP: Set Secret…" in VS Code), then try again`
      : `update mcpServers.${def.name}.headers in config.jsonc, then try again`;
  return {
    headers: () => Promise.resolve(interpolateHeaders(def, baseEnv, secrets)),
    hint,
  };
}
