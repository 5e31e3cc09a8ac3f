// The `berth` executable: long-running parts (up, manager, agent) and user commands.

import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../common/log.js';
import { parseRange } from '../common/outbound.js';
import { parseDuration } from '../common/time.js';
import { berthVersion } from '../common/version.js';
import { registerUserCommands } from './user/index.js';
import { registerSwarmCommands } from './user/swarm.js';
import { registerRegistryCommands } from './registry/index.js';
import { checkCron, DEFAULT_REGISTRY_LISTEN } from '../registry/index.js';
import { join } from 'node:path';
import { defaultDataDir, runAgent, runManager, runRegistry, runUp } from './run-parts.js';

const program = new Command('berth')
  .description('Berth: Swarm-compatible container platform')
  .version(berthVersion())
  // Options after a subcommand belong to it (e.g. a container's own --version).
  .enablePositionalOptions()
  .option('--host <url>', 'manager API for user commands: unix:///path, tcp://HOST:PORT (TLS with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH) or https://HOST:PORT (default $BERTH_HOST, $DOCKER_HOST, else the unix socket of a local berth up or berth manager)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']));

const logger = (name: string, fallback: string) => createLogger(name, program.opts().logLevel ?? process.env.BERTH_LOG_LEVEL ?? fallback);
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
/** optionValue turns a parser's error into commander's, which names the option in its message. */
const optionValue =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
const duration = optionValue(parseDuration);
/** A grace shorter than a push takes would sweep the blobs of pushes whose manifest has not arrived yet. */
const gcGrace = (value: string): number => {
  const ms = duration(value);
  if (ms < 60_000) throw new InvalidArgumentError('use at least 1m, so pushes in progress keep their blobs');
  return ms;
};
const cronExpression = optionValue(checkCron);
/** --allow-outbound CIDR, repeatable: checked here, parsed again by the registry. */
const outboundRange = (value: string, previous: string[] = []): string[] => {
  optionValue(parseRange)(value);
  return [...previous, value];
};
const ALLOW_OUTBOUND = [
  '--allow-outbound <cidr>',
  'let registry webhooks and replication reach this otherwise refused range, e.g. 127.0.0.0/8 for receivers on this host (repeatable; see docs/outbound.md)',
] as const;
const historyLimit = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError('use a whole number from 0 to 1000');
  return n;
};

program
  .command('up')
  .description('run a manager and a local agent on this machine (foreground; Ctrl-C stops)')
  .option('--data-dir <dir>', 'state directory (default ~/.berth)')
  .option('--listen <host:port>', 'API address: TLS with client certificates from the cluster CA', '127.0.0.1:7420')
  .option('--insecure-api', 'DANGEROUS: serve the TCP API in plain HTTP with no authentication (loopback only); any local user can then run containers as root')
  .option('--cluster-listen <host:port>', 'cluster port where agents join and connect (mutual TLS)', '0.0.0.0:2377')
  .option('--advertise-addr <addr>', 'address (IP or interface[:port]) other machines reach the cluster port at (default: the default route\'s interface)')
  .option('--engine <url>', 'container engine (default $DOCKER_HOST, /var/run/docker.sock, else a Podman Berth starts)')
  .option('--hostname <name>', 'name of the local node')
  .option('--demo', 'build the demo image and create a 3-replica demo web service')
  .option('--task-history-limit <n>', 'ended tasks kept per slot (default 5; kept across restarts when not given)', historyLimit)
  .option('--audit-retention <duration>', 'keep audit log entries this long, e.g. 2160h (default 720h, 30 days; at most 100,000 entries)', duration)
  .option('--registry <host:port|off>', 'OCI registry address (off loopback: TLS, with a certificate from the cluster CA unless --registry-tls-cert), or "off"', DEFAULT_REGISTRY_LISTEN)
  .option('--registry-tls-cert <file>', "PEM certificate for the registry's HTTPS (default off loopback: one from the cluster CA)")
  .option('--registry-tls-key <file>', "PEM private key for the registry's HTTPS")
  .option('--registry-gc-interval <duration>', 'run the registry garbage collector this often, e.g. 24h (default: only on request)', duration)
  .option('--registry-gc-cron <expression>', 'run the registry garbage collector at these times (UTC), e.g. "0 0 3 * * *" for 03:00 daily', cronExpression)
  .option('--registry-gc-grace <duration>', 'the garbage collector leaves content younger than this (default 1h)', gcGrace)
  .option('--registry-gc-untagged', 'scheduled garbage collection also deletes manifests no tag keeps')
  .option(...ALLOW_OUTBOUND, outboundRange)
  .action((opts) => runUp(opts, logger('berth', 'warn')));

program
  .command('manager')
  .description('run a manager only (foreground)')
  .option('--data-dir <dir>', 'state directory (default ~/.berth/manager)')
  .option('--listen <host:port>', 'API address: TLS with client certificates from the cluster CA', '127.0.0.1:7420')
  .option('--insecure-api', 'DANGEROUS: serve the TCP API in plain HTTP with no authentication (loopback only); any local user can then run containers as root')
  .option('--cluster-listen <host:port>', 'cluster port where agents join and connect (mutual TLS)', '0.0.0.0:2377')
  .option('--advertise-addr <addr>', 'address (IP or interface[:port]) other machines reach the cluster port at (default: the default route\'s interface)')
  .option('--task-history-limit <n>', 'ended tasks kept per slot (default 5; kept across restarts when not given)', historyLimit)
  .option('--audit-retention <duration>', 'keep audit log entries this long, e.g. 2160h (default 720h, 30 days; at most 100,000 entries)', duration)
  .option('--store <url>', 'where the cluster state lives: sqlite (state.db in the data directory) or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]', 'sqlite')
  .option('--etcd-cacert <file>', "PEM CA that signed etcd's certificate: talk to etcd over TLS")
  .option('--etcd-cert <file>', 'PEM client certificate for etcd (with --etcd-key)')
  .option('--etcd-key <file>', 'PEM private key of --etcd-cert')
  .option('--join <host:port>', "another manager's cluster port: join its cluster as one more manager (with --token and --store etcd://...; the first start only)")
  .option('--token <token>', 'the manager join token (`docker swarm join-token manager` prints it)')
  .action((opts) => runManager(opts, logger('berth-manager', 'info')));

program
  .command('registry')
  .description('run the OCI registry only (foreground)')
  .option('--data-dir <dir>', 'storage directory (default ~/.berth/registry)')
  .option('--listen <host:port>', 'registry address (off loopback only with TLS)', DEFAULT_REGISTRY_LISTEN)
  .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
  .option('--tls-key <file>', 'PEM private key for --tls-cert')
  .option('--gc-interval <duration>', 'run the garbage collector this often, e.g. 24h (default: only on request)', duration)
  .option('--gc-cron <expression>', 'run the garbage collector at these times (UTC), e.g. "0 0 3 * * *" for 03:00 daily', cronExpression)
  .option('--gc-grace <duration>', 'the garbage collector leaves content younger than this (default 1h)', gcGrace)
  .option('--gc-untagged', 'scheduled garbage collection also deletes manifests no tag keeps')
  .option(...ALLOW_OUTBOUND, outboundRange)
  .action((opts) => runRegistry(opts, logger('berth-registry', 'info')));

const agentOptions = (cmd: Command): Command =>
  cmd
    .option('--engine <url>', 'container engine (default $DOCKER_HOST, /var/run/docker.sock, else a Podman Berth starts)')
    .option('--hostname <name>', 'node name (several agents on one machine need distinct names)')
    .option('--label <key=value>', 'engine label the node reports, for engine.labels constraints (repeatable)', collect)
    .option('--data-dir <dir>', 'state directory: certificates and node identity (default ~/.berth/agents/<hostname>)')
    .option('--insecure-registry <host:port>', 'registry that speaks plain HTTP, pulled from without TLS (repeatable)', collect)
    .option(
      '--registry-certs-dir <dir>',
      "where the engine reads per-registry CA certificates, for the cluster registry's root (default /etc/containers/certs.d for Podman, /etc/docker/certs.d for Docker Engine)",
    )
    .option('--tunnel-interface <name>', 'the WireGuard interface encrypted overlay networks run in (default berth-wg)');

agentOptions(
  program
    .command('agent')
    .description("run an agent that joins a manager's cluster port and runs its tasks on a container engine (foreground)")
    .option('--join <host:port>', "the manager's cluster port (needed the first time; later the one joined is used)")
    .option('--token <token>', 'worker join token (needed the first time this agent joins)'),
).action((opts) => runAgent(opts, logger('berth-agent', 'info')));

// `docker swarm join-token worker` prints Docker's own line, `docker swarm join --token T ADDR`:
// the same line with `berth` in place of `docker` joins this machine.
const swarm = program.command('swarm').description('join this machine to a cluster, or print the line that joins one');
registerSwarmCommands(swarm, program);
agentOptions(
  swarm
    .command('join')
    .description('run an agent that joins the manager at HOST:PORT (the same as berth agent --join HOST:PORT --token TOKEN)')
    .argument('<host:port>', "the manager's cluster port")
    .requiredOption('--token <token>', 'worker join token'),
).action((join: string, opts) => runAgent({ ...opts, join }, logger('berth-agent', 'info')));

// `berth store`: the manager's state to a file and back, and from state.db onto etcd.
const storeFlags = (cmd: Command): Command =>
  cmd
    .option('--data-dir <dir>', "the manager's state directory (default ~/.berth/manager; ~/.berth for berth up)")
    .option('--store <url>', 'the state is in sqlite (state.db in the data directory) or etcd://HOST:PORT[,HOST:PORT...][/PREFIX]', 'sqlite')
    .option('--etcd-cacert <file>', "PEM CA that signed etcd's certificate: talk to etcd over TLS")
    .option('--etcd-cert <file>', 'PEM client certificate for etcd (with --etcd-key)')
    .option('--etcd-key <file>', 'PEM private key of --etcd-cert');
const managerDir = (dir: string | undefined): string => dir ?? join(defaultDataDir(), 'manager');
const store = program.command('store').description("back up and restore a manager's state, or move it onto etcd (secrets stay sealed with the cluster's store key)");
storeFlags(store.command('backup').description('write the state as of one commit to a file (the manager may run)').requiredOption('--output <file>', 'where to write it (mode 0600)')).action(
  async (opts) => (await import('./store-commands.js')).runStoreBackup({ ...opts, dataDir: managerDir(opts.dataDir) }),
);
storeFlags(store.command('restore').description('start a store from a backup: an empty data directory or etcd prefix, the manager stopped').requiredOption('--input <file>', 'a file berth store backup wrote')).action(
  async (opts) => (await import('./store-commands.js')).runStoreRestore({ ...opts, dataDir: managerDir(opts.dataDir) }),
);
store
  .command('migrate')
  .description("move a stopped manager's state from state.db onto etcd; its tasks keep running, and the manager then starts with --store")
  .option('--data-dir <dir>', "the manager's state directory (default ~/.berth/manager)")
  .requiredOption('--to <url>', 'etcd://HOST:PORT[,HOST:PORT...][/PREFIX], an empty prefix')
  .option('--etcd-cacert <file>', "PEM CA that signed etcd's certificate: talk to etcd over TLS")
  .option('--etcd-cert <file>', 'PEM client certificate for etcd (with --etcd-key)')
  .option('--etcd-key <file>', 'PEM private key of --etcd-cert')
  .action(async (opts) => (await import('./store-commands.js')).runStoreMigrate({ ...opts, dataDir: managerDir(opts.dataDir) }));

registerUserCommands(program);
registerRegistryCommands(program);

try {
  await program.parseAsync();
} catch (err) {
  // Expected failures (bad flags, refused addresses, no engine) get one clear line; BERTH_DEBUG adds the stack.
  process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.BERTH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
