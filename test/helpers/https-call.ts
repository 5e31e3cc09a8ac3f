// A client of a manager's TLS API for tests: with a client certificate, a bearer token, or
// nothing, from a chosen loopback address.

import { request } from 'node:https';

export interface Credentials {
  key?: string;
  cert?: string;
  token?: string;
}

export interface Answer {
  status: number;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export function httpsCaller(port: () => number, ca: () => string) {
  return (who: Credentials | undefined, method: string, path: string, body?: unknown, localAddress?: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(who?.token && { authorization: `Bearer ${who.token}` }) };
      const req = request({ host: '127.0.0.1', port: port(), method, path, ca: ca(), key: who?.key, cert: who?.cert, headers, ...(localAddress && { localAddress }) }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, json: <T>() => JSON.parse(text) as T }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}
