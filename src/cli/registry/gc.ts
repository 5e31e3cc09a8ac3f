// `berth gc run [--dry-run] [--delete-untagged] | ls`: the registry's garbage collector, run now,
// or its last runs. System administrators only (the registry refuses anyone else). A run is
// started in the background and followed until it ends, so a long one outlasts no HTTP timeout.

import type { Command } from 'commander';
import { bytes, type GcRun } from '../../registry/index.js';
import { CliError, run } from '../user/context.js';
import { formatTable } from '../user/table.js';
import { REGISTRY_OPTION, clientFor, output, type RegistryOpts } from './common.js';

interface GcRunOpts extends RegistryOpts {
  dryRun?: boolean;
  deleteUntagged?: boolean;
}

/** How often a running collection is asked about. */
const POLL_MS = 500;

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** summary says what a run freed (or, dry, would free), in one line. */
function summary(r: GcRun): string {
  const parts = [
    plural(r.blobsDeleted, 'blob'),
    ...(r.deleteUntagged ? [plural(r.manifestsDeleted, 'untagged manifest')] : []),
    plural(r.uploadsDeleted, 'abandoned upload'),
    plural(r.linksDeleted, 'unreferenced link'),
  ];
  const verb = r.dryRun ? 'would free' : 'freed';
  return `garbage collection run ${r.id}${r.dryRun ? ' (dry run)' : ''} ${r.status}: ${verb} ${bytes(r.bytesFreed)} in ${parts.join(', ')}\n`;
}

export function registerGcCommands(program: Command): void {
  const out = output(program);
  const gc = program.command('gc').description("Run the registry's garbage collector, or list its runs (system administrators)");

  gc.command('run')
    .description('Collect garbage now: blobs no manifest references and abandoned uploads older than the grace period')
    .option('--dry-run', 'delete nothing; say what a run would free')
    .option('--delete-untagged', 'also delete manifests no tag keeps (older than the grace period), and what only they reference')
    .option(...REGISTRY_OPTION)
    .action((opts: GcRunOpts, cmd: Command) =>
      run(cmd, async () => {
        const client = await clientFor(opts);
        const body = { dryRun: opts.dryRun ?? false, wait: false, ...(opts.deleteUntagged && { deleteUntagged: true }) };
        let current = await client.post<GcRun>('/gc', body);
        while (current.status === 'running') {
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          current = await client.get<GcRun>(`/gc/${current.id}`);
        }
        if (current.status === 'failed') throw new CliError(`garbage collection run ${current.id} failed: ${current.error ?? 'see the registry log'}`);
        out(summary(current));
      }),
    );

  gc.command('ls')
    .alias('list')
    .description('List the last runs, newest first')
    .option(...REGISTRY_OPTION)
    .action((opts: RegistryOpts, cmd: Command) =>
      run(cmd, async () => {
        const { runs } = await (await clientFor(opts)).get<{ runs: GcRun[] }>('/gc');
        const rows = runs.map((r) => [
          String(r.id),
          r.startedAt,
          r.status,
          [r.dryRun && 'dry run', r.deleteUntagged && 'untagged'].filter(Boolean).join(', ') || '-',
          String(r.blobsDeleted),
          r.deleteUntagged ? String(r.manifestsDeleted) : '-',
          String(r.bytesFreed),
          r.error ?? '',
        ]);
        out(formatTable(['ID', 'STARTED', 'STATUS', 'MODE', 'BLOBS', 'MANIFESTS', 'FREED BYTES', 'ERROR'], rows));
      }),
    );
}
