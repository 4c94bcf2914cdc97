import { pino, type Logger, type DestinationStream } from 'pino';

/** The engine's logger type (pino). */
export type { Logger } from 'pino';

/** Creates the root pino logger; secrets and keys are redacted wherever they appear in log fields. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['apiKey', 'secret', 'authorization', '*.apiKey', '*.secret', '*.authorization', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
