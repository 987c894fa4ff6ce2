import * as http from 'node:http';
import type { HealthInfo } from './controlTypes';
import { homePaths } from './homePaths';
import { isPidAlive } from './pidAlive';
import { readRegistry, type HostRegistry } from './registry';

export const HEALTH_TIMEOUT_MS = 2000;

/** Asks a registered host for /api/health; resolves undefined unless it answers as a host of that home. */
export function checkHealth(reg: HostRegistry, timeoutMs = HEALTH_TIMEOUT_MS): Promise<HealthInfo | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: reg.address, port: reg.port, path: '/api/health', headers: { authorization: `Bearer ${reg.controlToken}` }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          try {
            const info = JSON.parse(body) as HealthInfo;
            resolve(res.statusCode === 200 && info.ok === true && info.home === reg.home && info.pid === reg.pid ? info : undefined);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** The live host of a home, or undefined: host.json must name a live pid that answers health for that home. */
export async function findHost(home: string): Promise<HostRegistry | undefined> {
  const reg = await readRegistry(homePaths(home).registry);
  if (!reg || reg.home !== home || !isPidAlive(reg.pid)) return undefined;
  return (await checkHealth(reg)) ? reg : undefined;
}
