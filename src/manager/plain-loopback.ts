// One port for TLS and, from this machine, plain HTTP: the API's TLS server also serves
// browsers that open http://127.0.0.1:7420/ui/ (no certificate to trust first). The first byte
// tells them apart (22 opens every TLS handshake). Plain HTTP is served only when the API listens
// on loopback, and only for a Host naming loopback (a DNS-rebinding page's requests name their
// own host); a plain request to a port that listens beyond loopback is sent to https.

import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { markPlainLoopback } from '../common/plain-http.js';
import { routeUpgrades } from '../api/index.js';

const TLS_HANDSHAKE = 22;
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

export interface PlainOptions {
  /** The API listens on loopback only: plain HTTP is served; else it is redirected to https. */
  loopback: boolean;
  timeouts: { headersTimeout: number; requestTimeout: number };
  handle: (req: IncomingMessage, res: ServerResponse) => void;
}

export function acceptPlainHttp(server: HttpsServer, opts: PlainOptions): HttpServer {
  const plain = createServer((req, res) => {
    const host = req.headers.host ?? '';
    if (!opts.loopback) {
      res.writeHead(301, { location: `https://${host}${req.url ?? '/'}`, 'content-type': 'application/json' }).end(JSON.stringify({ message: 'this port speaks TLS: use https://' }));
      return;
    }
    if (!LOOPBACK_HOST.test(host)) {
      res.writeHead(421, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `plain HTTP is served to 127.0.0.1, localhost and [::1] only, not to Host ${host.slice(0, 255)}: use https://` }));
      return;
    }
    opts.handle(req, res);
  });
  plain.headersTimeout = opts.timeouts.headersTimeout;
  plain.requestTimeout = opts.timeouts.requestTimeout;
  routeUpgrades(plain, (req, res) => (LOOPBACK_HOST.test(req.headers.host ?? '') && opts.loopback ? opts.handle(req, res) : res.writeHead(421).end()));

  // The TLS server's own connection handling runs for TLS clients only.
  const tlsHandlers = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    socket.once('error', () => socket.destroy());
    // A client that connects and says nothing is dropped as the server's header timeout would.
    socket.setTimeout(opts.timeouts.headersTimeout, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) {
        // The TLS socket reads what is buffered (the unshifted bytes) and then the handle itself.
        for (const h of tlsHandlers) h.call(server, socket);
      } else {
        markPlainLoopback(socket);
        plain.emit('connection', socket);
        socket.resume();
      }
    });
  });
  return plain;
}
