// GET /berth/v1/exec/{id}/start: an exec started over a WebSocket (docs/containers.md), for
// browsers, which can neither take an HTTP connection over as `docker exec` does nor set an
// Authorization header on a WebSocket (the session comes as the subprotocol berth.bearer.TOKEN,
// read by src/access). Otherwise it is POST /exec/{id}/start: an exec made with
// POST /containers/{id}/exec, the operator role, team scope and the exec.start audit entry.
// Binary frames carry stdin in and the output out as the engine gives it (raw with a TTY, else
// multiplexed); text frames are JSON control messages, both ways.

import type { FastifyInstance } from 'fastify';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { noteForAudit } from '../../common/audit-note.js';
import { isObj } from '../../common/is-object.js';
import type { Store } from '../../store/index.js';
import { STREAM_MAX_FRAME } from '../../types/index.js';
import type { ContainerSource, ExecPlace } from '../../types/index.js';
import { opened } from '../containers/engine-answer.js';
import type { ById } from '../http/http.js';
import { acceptWebSocket, webSocketKey } from '../http/websocket.js';
import { containerObject } from './containers.js';
import { execFinder } from './exec.js';

/** The subprotocol the client offers and the route answers with. */
export const EXEC_PROTOCOL = 'berth.exec';
/** Output waiting for a slow client beyond this pauses the exec's stream. */
const HIGH_WATER = 1024 * 1024;
/** Pings keep a quiet console open through proxies that drop idle connections. */
const PING_MS = 30_000;
const CONTROL = 'text frames are control messages: {"type":"resize","h":ROWS,"w":COLS} or {"type":"eof"}';

export function execWebSocketRoutes(app: FastifyInstance, store: Store, source: ContainerSource | undefined): void {
  const find = execFinder(store, source);
  app.get<ById>('/berth/v1/exec/:id/start', async (request, reply) => {
    const key = webSocketKey(request, EXEC_PROTOCOL);
    const { exec, containers } = find(request, request.params.id);
    noteForAudit(request, { object: containerObject(exec.place), command: exec.cmd });
    const stream = await opened(containers.stream(exec.place.nodeId, { op: 'exec', exec: exec.execId, tty: exec.tty, stdin: exec.stdin }), `No such exec instance: ${request.params.id}`, exec.place);
    // A client gone at any point takes the exec's stream with it (and the engine's, on the node).
    request.raw.socket.once('close', () => stream.destroy());
    return acceptWebSocket(request, reply, key, EXEC_PROTOCOL, STREAM_MAX_FRAME, (ws) => (ws ? carry(ws, stream, exec, containers) : stream.destroy()));
  });
}

/** carry joins the WebSocket and the exec's stream until either ends; the exec's end sends its exit code. */
function carry(ws: WebSocket, stream: Duplex, exec: ExecPlace, containers: ContainerSource): void {
  const send = (message: object): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const ping = setInterval(() => ws.ping(), PING_MS);
  ws.once('close', () => {
    clearInterval(ping);
    stream.destroy();
  });
  ws.on('error', () => stream.destroy());

  stream.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (stream.isPaused() && ws.bufferedAmount < HIGH_WATER) stream.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER) stream.pause();
  });
  let ended = false;
  stream.once('end', () => {
    ended = true;
    // The node closes the stream once the engine reports the exec ended: its exit code is known.
    void containers
      .call(exec.place.nodeId, { op: 'exec-inspect', exec: exec.execId })
      .then((r) => (isObj(r.body) && typeof r.body.ExitCode === 'number' ? r.body.ExitCode : null), () => null)
      .then((code) => {
        send({ type: 'exit', ExitCode: code });
        ws.close(1000, 'exec ended');
      });
  });
  stream.on('error', () => undefined); // its close says it
  stream.once('close', () => {
    if (!ended) ws.close(1011, 'the exec stream from the node ended');
  });

  ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) {
      // Input after the client's own eof has nowhere to go.
      if (stream.writableEnded) return;
      if (!stream.write(data)) {
        ws.pause();
        stream.once('drain', () => ws.resume());
      }
      return;
    }
    const m = parse(data.toString());
    if (m?.type === 'resize' && isSize(m.h) && isSize(m.w)) {
      void containers.call(exec.place.nodeId, { op: 'exec-resize', exec: exec.execId, h: m.h, w: m.w }).then(
        (r) => r.status >= 300 && send({ type: 'error', message: `resize: ${r.message ?? `the engine answered ${r.status}`}` }),
        (err: Error) => send({ type: 'error', message: `resize: ${err.message}` }),
      );
    } else if (m?.type === 'eof') {
      stream.end();
    } else {
      ws.close(1008, CONTROL);
    }
  });
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isSize(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
}
