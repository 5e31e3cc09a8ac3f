// `berth cert client NAME --out DIR | ls | revoke ID|NAME`: client certificates for the API, in
// the layout the docker CLI reads with DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem). The key is
// made here and never leaves this machine: the manager signs a CSR.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/files.js';
import { certificateRequest, keyPem, newKeyPair } from '../../common/pki.js';
import { contextOf, run, type Context } from './context.js';
import { formatTable } from './table.js';

export function registerCertCommands(program: Command): void {
  const cert = program.command('cert').description('Manage client certificates for the API');
  cert
    .command('client')
    .description('Issue a client certificate bundle (ca.pem, cert.pem, key.pem) for NAME')
    .argument('<name>', 'who the certificate is for')
    .requiredOption('--out <dir>', 'directory to write the bundle to (DOCKER_CERT_PATH)')
    .option('--role <role>', 'what it may do: viewer (read), operator (read and change workloads) or admin (everything; the default) — docs/access.md')
    .action((name: string, opts: { out: string; role?: string }, cmd: Command) => run(cmd, () => issueBundle(contextOf(program), name, opts.out, opts.role)));
  cert
    .command('ls')
    .alias('list')
    .description('List the client certificates the cluster CA issued')
    .action((_opts: unknown, cmd: Command) => run(cmd, () => listCerts(contextOf(program))));
  cert
    .command('revoke')
    .description('Revoke a client certificate: it opens the API no more')
    .argument('<ref>', 'certificate ID (serial), or the name of its only live certificate')
    .action((ref: string, _opts: unknown, cmd: Command) => run(cmd, () => revoke(contextOf(program), ref)));
}

async function issueBundle(ctx: Context, name: string, out: string, role?: string): Promise<void> {
  const keys = await newKeyPair();
  const issued = await ctx.client.issueClientCertificate(name, await certificateRequest(keys, name), role);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  writeFileAtomic(join(out, 'key.pem'), await keyPem(keys.privateKey), 0o600);
  writeFileAtomic(join(out, 'cert.pem'), issued.Certificate, 0o644);
  writeFileAtomic(join(out, 'ca.pem'), issued.RootCA, 0o644);
  ctx.out(`${issued.ID}\nWrote ${out}/{ca,cert,key}.pem; use it with DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${out}\n`);
}

async function listCerts(ctx: Context): Promise<void> {
  const certs = await ctx.client.listClientCertificates();
  const rows = certs.map((c) => [c.ID, c.Spec.Name, c.Spec.Role ?? 'admin', c.CreatedAt.slice(0, 19).replace('T', ' '), c.NotAfter.slice(0, 10), c.Revoked ? `revoked ${c.Revoked.slice(0, 19).replace('T', ' ')}` : 'valid']);
  ctx.out(formatTable(['ID', 'NAME', 'ROLE', 'ISSUED', 'EXPIRES', 'STATE'], rows));
}

async function revoke(ctx: Context, ref: string): Promise<void> {
  const c = await ctx.client.revokeClientCertificate(ref);
  ctx.out(`${c.ID}\n`);
}
