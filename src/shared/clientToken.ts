import { promises as fs } from 'node:fs';
import { SharedMcpError } from './errors';

/**
 * home/token as a client finds it, for when no host can be asked (the host owns the token and hands it out over the
 * control API). Refuses a missing or empty file: an empty token must never reach a client config as "Bearer ".
 */
export async function readClientTokenFile(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const token = text.trim();
  if (token === '') throw new SharedMcpError('HOST_UNREACHABLE', `no client token in ${file}: start the host (shared-mcp up) and it writes one`);
  return token;
}
