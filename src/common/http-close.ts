// Closing an HTTP server without waiting out keep-alive connections.

import type { Server } from 'node:http';

/**
 * closeGracefully stops accepting requests, lets the ones in flight finish (up to `graceMs`)
 * and closes keep-alive connections as soon as they are idle. Node closes idle connections only
 * once, when closing starts; a response still finishing at that moment would otherwise hold the
 * close up for the whole keep-alive timeout.
 */
export async function closeGracefully(app: { close(): PromiseLike<unknown>; server: Server }, graceMs = 10_000): Promise<void> {
  const deadline = Date.now() + graceMs;
  const closing = app.close();
  const sweep = setInterval(() => {
    if (Date.now() > deadline) app.server.closeAllConnections();
    else app.server.closeIdleConnections();
  }, 50);
  try {
    await closing;
  } finally {
    clearInterval(sweep);
  }
}
