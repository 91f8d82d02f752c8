// A cap on the connections one remote address may hold open (review F5,
// probe D3: 20 000 idle sockets from one host took every file descriptor,
// and everyone else was reset). A connection over the cap is closed as soon
// as it is accepted, so it never holds a descriptor for long. Behind a
// reverse proxy every client has the proxy's address: set the cap to 0
// (off) there and let the proxy limit its clients.

import type { Server } from 'node:net';
import type { Socket } from 'node:net';

export function capConnectionsPerAddress(server: Server, max: number): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left > 0) open.set(addr, left);
      else open.delete(addr);
    });
  });
}
