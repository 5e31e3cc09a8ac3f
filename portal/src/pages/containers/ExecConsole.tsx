// A shell in a task container, in the browser: xterm.js on the exec WebSocket
// (GET /berth/v1/exec/{id}/start). The exec is a TTY of the terminal's size; the terminal
// follows its element's size and tells the exec; copy and paste through xterm's selection and
// the clipboard (Ctrl+Shift+C / Ctrl+Shift+V, or the buttons); Shift+Escape leaves it for the
// page's other controls; the exit code is shown. The shell is in the URL (?shell=bash). This module (and xterm.js) loads only with the Console tab.

import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { Alert, Box, Button, Group, Select, Text } from '@mantine/core';
import { useUrlState } from '../../components/url';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { api } from '../../api/client';
import type { ExecInspect } from '../../api/container-types';
import { currentSession } from '../../api/session';
import { execConfig, execSocketUrl, isShell, readControl, resizeMessage, SHELLS, subprotocols, type Shell } from './exec-protocol';

type Status = { kind: 'idle' } | { kind: 'connecting' } | { kind: 'open'; shell: Shell } | { kind: 'exited'; code: number | null } | { kind: 'closed'; reason: string } | { kind: 'failed'; message: string };

function statusText(s: Status): string {
  switch (s.kind) {
    case 'idle':
      return 'Not connected.';
    case 'connecting':
      return 'Connecting…';
    case 'open':
      return `Connected: ${s.shell}.`;
    case 'exited':
      return s.code === null ? 'The shell ended.' : `The shell exited with code ${s.code}.`;
    case 'closed':
      return `Disconnected${s.reason ? `: ${s.reason}` : ''}.`;
    case 'failed':
      return '';
  }
}

/** Why an exec's WebSocket did not open: a browser is not told, the exec's inspect may say (gone, refused). */
async function whyNotOpened(execId: string): Promise<string> {
  try {
    await api.get<ExecInspect>(`/exec/${encodeURIComponent(execId)}/json`);
    return 'the console could not connect to the exec';
  } catch (err) {
    return (err as Error).message;
  }
}

export default function ExecConsole({ containerId }: { containerId: string }) {
  const [params, set] = useUrlState({ shell: 'sh' });
  const requested = params.get('shell');
  const shell: Shell = isShell(requested) ? requested : 'sh';
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [selected, setSelected] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const socket = useRef<WebSocket | null>(null);
  const toolbar = useRef<HTMLButtonElement>(null);

  const sendBytes = (bytes: Uint8Array<ArrayBuffer>) => {
    if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(bytes);
  };
  const copy = () => {
    const text = term.current?.getSelection();
    if (text) void navigator.clipboard.writeText(text);
  };
  const paste = () => {
    void navigator.clipboard.readText().then((text) => term.current?.paste(text));
  };

  useEffect(() => {
    const t = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000, fontFamily: 'ui-monospace, Menlo, Consolas, monospace' });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(box.current!);
    fit.fit();
    term.current = t;
    const encoder = new TextEncoder();
    const subscriptions = [
      t.onData((d) => sendBytes(encoder.encode(d))),
      // Mouse reports of some programs: bytes as they are, not UTF-8.
      t.onBinary((d) => sendBytes(Uint8Array.from(d, (c) => c.charCodeAt(0)))),
      t.onResize(({ rows, cols }) => {
        if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(resizeMessage(rows, cols));
      }),
      t.onSelectionChange(() => setSelected(t.hasSelection())),
    ];
    // Ctrl+C and Ctrl+V belong to the shell; with Shift they copy and paste, as in terminal emulators.
    // Tab is the shell's too: Shift+Escape hands the keyboard back to the page.
    t.attachCustomKeyEventHandler((e) => {
      if (e.type === 'keydown' && e.key === 'Escape' && e.shiftKey) return toolbar.current?.focus(), false;
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') return copy(), false;
      if (e.code === 'KeyV') return paste(), false;
      return true;
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(box.current!);
    return () => {
      observer.disconnect();
      for (const s of subscriptions) s.dispose();
      socket.current?.close();
      socket.current = null;
      t.dispose();
      term.current = null;
    };
  }, []);

  const connect = async () => {
    const t = term.current;
    if (!t) return;
    socket.current?.close();
    t.reset();
    setStatus({ kind: 'connecting' });
    let execId: string;
    try {
      execId = (await api.post<{ Id: string }>(`/containers/${encodeURIComponent(containerId)}/exec`, execConfig(shell, t.rows, t.cols))).Id;
    } catch (err) {
      return setStatus({ kind: 'failed', message: (err as Error).message });
    }
    const ws = new WebSocket(execSocketUrl(window.location, execId), subprotocols(currentSession()?.Token));
    ws.binaryType = 'arraybuffer';
    socket.current = ws;
    let opened = false;
    let exit: number | null | undefined;
    ws.onopen = () => {
      opened = true;
      setStatus({ kind: 'open', shell });
      ws.send(resizeMessage(t.rows, t.cols));
      t.focus();
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== 'string') return t.write(new Uint8Array(e.data));
      const control = readControl(e.data);
      if (control?.type === 'exit') exit = control.ExitCode;
      if (control?.type === 'error') t.write(`\r\n\x1b[31m${control.message}\x1b[0m\r\n`);
    };
    ws.onclose = (e) => {
      if (socket.current !== ws) return;
      socket.current = null;
      if (exit !== undefined) return setStatus({ kind: 'exited', code: exit });
      if (opened) return setStatus({ kind: 'closed', reason: e.reason });
      void whyNotOpened(execId).then((message) => setStatus({ kind: 'failed', message }));
    };
  };

  const disconnect = () => {
    const ws = socket.current;
    socket.current = null;
    ws?.close(1000, 'closed in the portal');
    setStatus({ kind: 'closed', reason: '' });
  };

  const live = status.kind === 'open' || status.kind === 'connecting';
  return (
    <Box>
      <Group mb="xs" gap="xs">
        <Select aria-label="Shell" data={[...SHELLS]} value={shell} onChange={(v) => set('shell', v)} allowDeselect={false} disabled={live} w={100} />
        {live ? (
          <Button ref={toolbar} variant="default" onClick={disconnect}>
            Disconnect
          </Button>
        ) : (
          <Button ref={toolbar} onClick={() => void connect()}>
            {status.kind === 'idle' ? 'Connect' : 'Connect again'}
          </Button>
        )}
        <Button variant="default" size="xs" onClick={copy} disabled={!selected}>
          Copy
        </Button>
        <Button variant="default" size="xs" onClick={paste} disabled={status.kind !== 'open'}>
          Paste
        </Button>
        <Text size="sm" role="status">
          {statusText(status)}
        </Text>
      </Group>
      {status.kind === 'failed' && (
        <Alert color="red" role="alert" mb="xs" title="The console could not start">
          {status.message}
        </Alert>
      )}
      <Box ref={box} role="region" aria-label="Console" h="min(480px, 60vh)" bg="#000" p={4} style={{ borderRadius: 4 }} />
      <Text size="xs" c="dimmed" mt={4}>
        Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes, Shift+Escape leaves the console.
      </Text>
    </Box>
  );
}
