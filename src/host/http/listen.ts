import type { Server } from 'node:http';
import { SharedMcpError, isErrnoException } from '../../shared/errors';
import { PORT_SEARCH_SPAN } from '../../shared/homePaths';

/** Binds the server to the first free port from `port` up to port + PORT_SEARCH_SPAN - 1; resolves with the bound port. */
export async function listenOnFreePort(server: Server, address: string, port: number, onBusy: (port: number) => void): Promise<number> {
  const last = Math.min(65535, port + PORT_SEARCH_SPAN - 1);
  for (let p = port; p <= last; p++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(p, address, () => {
          server.off('error', onError);
          resolve();
        });
      });
      return p;
    } catch (err) {
      if (!isErrnoException(err, 'EADDRINUSE') && !isErrnoException(err, 'EACCES')) throw err;
      onBusy(p);
    }
  }
  throw new SharedMcpError('PORT_UNAVAILABLE', `no free port between ${port} and ${last} on ${address}`);
}
