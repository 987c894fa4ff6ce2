import type { Server } from 'node:http';
import { SharedMcpError, isErrnoException } from '../../shared/errors';
import { PORT_SEARCH_SPAN } from '../../shared/homePaths';

/** Binds the server to the first free port from `port` up to port + PORT_SEARCH_SPAN - 1; resolves with the bound port and the busy ones skipped. */
export async function listenOnFreePort(server: Server, address: string, port: number): Promise<{ port: number; busy: number[] }> {
  const last = Math.min(65535, port + PORT_SEARCH_SPAN - 1);
  const busy: number[] = [];
  for (let p = port; p <= last; p++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          server.off('listening', onListening);
          reject(err);
        };
        const onListening = (): void => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(p, address);
      });
      return { port: p, busy };
    } catch (err) {
      if (!isErrnoException(err, 'EADDRINUSE') && !isErrnoException(err, 'EACCES')) throw err;
      busy.push(p);
    }
  }
  throw new SharedMcpError('PORT_UNAVAILABLE', `no free port between ${port} and ${last} on ${address}`);
}
