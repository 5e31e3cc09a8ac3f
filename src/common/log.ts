import { pino, type Logger } from 'pino';

export type { Logger };

/** createLogger makes the process logger; BERTH_LOG_LEVEL overrides the level. */
export function createLogger(name: string, level = process.env.BERTH_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination(2));
}

/** A logger that writes nothing, for unit tests and pure code paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
