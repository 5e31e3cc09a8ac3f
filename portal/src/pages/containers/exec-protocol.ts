// The console's side of GET /berth/v1/exec/{id}/start (docs/containers.md, "Exec over a
// WebSocket"): the session goes as a subprotocol (a browser cannot set Authorization on a
// WebSocket, and a URL lands in logs); binary frames are the terminal's bytes; text frames are
// JSON control messages.

export const EXEC_PROTOCOL = 'berth.exec';

/** The shells the console offers; sh is in every image, bash in many. */
export const SHELLS = ['sh', 'bash'] as const;
export type Shell = (typeof SHELLS)[number];

export function isShell(v: string | null): v is Shell {
  return (SHELLS as readonly string[]).includes(v ?? '');
}

/** execSocketUrl: the WebSocket of an exec on the page's own origin (the API refuses another). */
export function execSocketUrl(location: { protocol: string; host: string }, execId: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/berth/v1/exec/${encodeURIComponent(execId)}/start`;
}

export function subprotocols(token: string | undefined): string[] {
  return token ? [EXEC_PROTOCOL, `berth.bearer.${token}`] : [EXEC_PROTOCOL];
}

export function resizeMessage(rows: number, cols: number): string {
  return JSON.stringify({ type: 'resize', h: rows, w: cols });
}

export type Control = { type: 'exit'; ExitCode: number | null } | { type: 'error'; message: string };

/** readControl reads a text frame from the server; undefined for anything this console does not know. */
export function readControl(text: string): Control | undefined {
  try {
    const m = JSON.parse(text) as { type?: unknown; ExitCode?: unknown; message?: unknown };
    if (m.type === 'exit') return { type: 'exit', ExitCode: typeof m.ExitCode === 'number' ? m.ExitCode : null };
    if (m.type === 'error' && typeof m.message === 'string') return { type: 'error', message: m.message };
  } catch {
    // not JSON: not a control message
  }
  return undefined;
}

/** The exec the console starts: a TTY of the terminal's size, stdin attached. */
export function execConfig(shell: Shell, rows: number, cols: number) {
  return { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Cmd: [shell], Env: ['TERM=xterm-256color'], ConsoleSize: [rows, cols] };
}
