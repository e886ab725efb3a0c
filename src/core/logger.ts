import { pino, type Logger } from 'pino';

export type { Logger };

/** Root logger; components take `logger.child({ component: 'x' })`. Secrets are redacted by path. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: [
          'password', '*.password', 'token', '*.token', 'req.headers.authorization', 'req.headers["x-api-key"]', 'key', '*.key',
          // R11: sealed secrets, S3 keys and the secret key never reach a log line (test/security/secrets.test.ts)
          'passwordSealed', '*.passwordSealed', 'password_sealed', '*.password_sealed', 'secretAccessKey', '*.secretAccessKey', 'secretKey', '*.secretKey',
          'sipPassword', '*.sipPassword', 'imagePassword', '*.imagePassword', 'appIdentityKey', '*.appIdentityKey',
        ],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
