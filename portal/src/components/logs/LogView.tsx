// One live log view for a service or a whole stack: follow, pause, search, filter by task or
// node, timestamps, download. Filters are in the URL (?q=, ?task=, ?node=, ?ts=1).

import { useEffect, useMemo, useRef } from 'react';
import { Alert, Box, Button, Checkbox, Group, Select, Text, TextInput } from '@mantine/core';
import { useUrlState } from '../url';
import { useLogStream, type LogSource } from './useLogStream';
import type { LogLine } from './parse';

export interface LogViewProps {
  sources: LogSource[];
  /** A task's name as docker shows it (web.1), and its node's, for the prefix and the filters. */
  taskName: (id: string) => string;
  nodeName: (id: string) => string;
  fileName: string;
}

export function LogView({ sources, taskName, nodeName, fileName }: LogViewProps) {
  const [params, set] = useUrlState();
  const q = params.get('q') ?? '';
  const task = params.get('task');
  const node = params.get('node');
  const timestamps = params.get('ts') === '1';
  const { lines, error, paused, setPaused } = useLogStream(sources, 200);
  const box = useRef<HTMLDivElement>(null);

  const shown = useMemo(() => lines.filter((l) => (!task || l.task === task) && (!node || l.node === node) && (!q || l.text.toLowerCase().includes(q.toLowerCase()))), [lines, task, node, q]);
  const tasks = useMemo(() => [...new Set(lines.map((l) => l.task))].map((id) => ({ value: id, label: taskName(id) })), [lines, taskName]);
  const nodes = useMemo(() => [...new Set(lines.map((l) => l.node))].map((id) => ({ value: id, label: nodeName(id) })), [lines, nodeName]);
  const prefix = (l: LogLine) => `${timestamps ? `${l.time} ` : ''}${taskName(l.task)}@${nodeName(l.node)}`;

  useEffect(() => {
    if (!paused && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [shown, paused]);

  const download = () => {
    const text = shown.map((l) => `${l.time} ${taskName(l.task)}@${nodeName(l.node)} | ${l.text}`).join('\n');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([`${text}\n`], { type: 'text/plain' }));
    a.download = fileName;
    a.click();
    URL.revokeObjectURL(a.href);
  };

  return (
    <Box>
      <Group mb="xs" gap="xs">
        <TextInput aria-label="Search logs" placeholder="Search" value={q} onChange={(e) => set('q', e.currentTarget.value)} w={200} />
        <Select aria-label="Task" placeholder="All tasks" data={tasks} value={task} onChange={(v) => set('task', v)} clearable w={180} />
        <Select aria-label="Node" placeholder="All nodes" data={nodes} value={node} onChange={(v) => set('node', v)} clearable w={160} />
        <Checkbox label="Timestamps" checked={timestamps} onChange={(e) => set('ts', e.currentTarget.checked ? '1' : null)} />
        <Button variant="default" size="xs" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </Button>
        <Button variant="default" size="xs" onClick={download}>
          Download
        </Button>
      </Group>
      {error && (
        <Alert color="red" role="alert" mb="xs">
          {error}
        </Alert>
      )}
      <Box ref={box} role="log" aria-label="Logs" tabIndex={0} className="mono" h={480} bg="var(--mantine-color-dark-8)" c="var(--mantine-color-gray-2)" p="xs" style={{ overflowY: 'auto', whiteSpace: 'pre-wrap', borderRadius: 4 }}>
        {shown.length === 0 && <Text c="gray.5">{lines.length === 0 ? 'Waiting for logs…' : 'No line matches.'}</Text>}
        {shown.map((l, i) => (
          <div key={i} style={l.stream === 'stderr' ? { color: 'var(--mantine-color-red-3)' } : undefined}>
            <span style={{ color: 'var(--mantine-color-blue-3)' }}>{prefix(l)}</span> | {l.text}
          </div>
        ))}
      </Box>
    </Box>
  );
}
