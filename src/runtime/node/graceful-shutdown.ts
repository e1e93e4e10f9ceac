import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Graceful stop of the HTTP server. Closing every idle keep-alive connection at once races with a
 * client that has just written its next request on it (it gets a reset for a request we never
 * read). Instead: once stopping, every answer carries `Connection: close` (the client opens its
 * next connection elsewhere), and a connection is closed only after it has been idle a while.
 */
export interface GracefulServer {
  /** Resolves true once every connection is closed, false if `budgetMs` ran out first (the rest are cut). */
  stop(budgetMs: number): Promise<boolean>;
}

/** A connection idle this long is not about to carry a request: closing it cannot cut one. */
const IDLE_BEFORE_CLOSE_MS = 250;

export function trackConnections(server: Server): GracefulServer {
  const connections = new Map<Socket, { inFlight: number; idleSince: number }>();
  let stopping = false;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { inFlight: 0, idleSince: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (req, res) => {
    const state = connections.get(req.socket);
    if (!state) return;
    state.inFlight++;
    if (stopping) res.setHeader('connection', 'close');
    res.once('close', () => {
      state.inFlight--;
      state.idleSince = Date.now();
    });
  });

  return {
    stop(budgetMs) {
      stopping = true;
      return new Promise<boolean>((resolve) => {
        const closeIdle = () => {
          const now = Date.now();
          for (const [socket, state] of connections) {
            if (state.inFlight === 0 && now - state.idleSince >= IDLE_BEFORE_CLOSE_MS) socket.destroy();
          }
        };
        const sweep = setInterval(closeIdle, 50);
        const budget = setTimeout(() => {
          clearInterval(sweep);
          for (const socket of connections.keys()) socket.destroy();
          resolve(false);
        }, budgetMs);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(budget);
          resolve(true);
        });
      });
    },
  };
}
