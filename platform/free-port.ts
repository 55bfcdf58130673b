// A free TCP port on loopback, for processes a test, the chaos run or a script starts itself (Temporal dev
// servers, registries, Prometheus, a Runway API): the OS picks it, the listener closes, the caller binds it.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
