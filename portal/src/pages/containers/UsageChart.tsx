// CPU and memory over the last minute, live (uPlot: a small canvas chart library made for
// streaming time series; loaded with this tab only). The figures are also given as text.

import { useEffect, useRef } from 'react';
import { Alert, Box, Text } from '@mantine/core';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useStatsStream, WINDOW } from './useStatsStream';

const CPU_COLOR = '#3b5bdb';
const MEMORY_COLOR = '#c2255c';

export default function UsageChart({ id }: { id: string }) {
  const { usage, error } = useStatsStream(id);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>(undefined);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = new uPlot(
      {
        width: el.clientWidth,
        height: 200,
        scales: { x: { time: true }, cpu: { range: (_u, _min, max) => [0, Math.max(100, max)] }, mem: { range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] } },
        series: [
          {},
          { label: 'CPU %', scale: 'cpu', stroke: CPU_COLOR, width: 2, value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} %`) },
          { label: 'Memory MiB', scale: 'mem', stroke: MEMORY_COLOR, width: 2, value: (_u, v) => (v == null ? '—' : `${v.toFixed(1)} MiB`) },
        ],
        axes: [{}, { scale: 'cpu', values: (_u, ticks) => ticks.map((t) => `${t}%`) }, { scale: 'mem', side: 1, values: (_u, ticks) => ticks.map((t) => `${t} MiB`), grid: { show: false } }],
      },
      [[], [], []],
      el,
    );
    plot.current = chart;
    const resized = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: 200 }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, []);

  useEffect(() => plot.current?.setData([usage.times, usage.cpu, usage.memoryMiB]), [usage]);

  const last = usage.times.length - 1;
  const cpu = usage.cpu[last];
  const memory = usage.memoryMiB[last];
  return (
    <Box mb="md">
      {error && (
        <Alert color="red" role="alert" mb="xs">
          {error}
        </Alert>
      )}
      <Text size="sm" aria-live="off">
        Live, the last {WINDOW} seconds: CPU {cpu == null ? '—' : `${cpu.toFixed(1)} %`}, memory {memory == null ? '—' : `${memory.toFixed(1)} MiB`}
      </Text>
      <div ref={box} role="img" aria-label={`CPU and memory of this container over the last ${WINDOW} seconds`} data-testid="usage-chart" data-samples={usage.times.length} />
    </Box>
  );
}
