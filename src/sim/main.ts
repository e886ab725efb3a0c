import { existsSync } from 'node:fs';
import { createLogger } from '../core/logger.js';
import { HELP, parseCli } from './options.js';
import { Simulator } from './simulator.js';

/** `sharpeye-sim` command line (bin/sharpeye-sim.mjs). Stats go to stdout, logs to stderr. */
async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseCli(argv);
  } catch (e) {
    process.stderr.write(`sharpeye-sim: ${(e as Error).message}\n`);
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const log = createLogger(opts.logLevel, process.stderr);
  if (opts.media !== undefined && !existsSync(opts.media)) {
    process.stderr.write(`sharpeye-sim: --media file not found: ${opts.media}\n`);
    return 2;
  }
  const sim = new Simulator({ ...opts, log });
  let statsTimer: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn({ signal: sig }, 'second signal: exiting without waiting for unregistration');
        resolve(130);
        return;
      }
      log.info({ signal: sig }, 'unregistering devices');
      clearInterval(statsTimer);
      sim.stop().then(
        () => resolve(0),
        (e: Error) => {
          log.error({ err: e }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await sim.start();
  } catch (e) {
    process.stderr.write(`sharpeye-sim: ${(e as Error).message}\n`);
    await sim.stop(1000).catch(() => undefined);
    return 1;
  }
  if (opts.stats) {
    const line = () => {
      const s = sim.stats();
      const { t, registered, registering, failed, keepalivesSent, keepaliveErrors, queriesAnswered, sipSent, sipReceived, retransmits, rssMB, ...more } = s;
      process.stdout.write(`${JSON.stringify({ t, registered, registering, failed, keepalivesSent, keepaliveErrors, queriesAnswered, sipSent, sipReceived, retransmits, rssMB, ...more })}\n`);
    };
    statsTimer = setInterval(line, 1000);
  }
  return done;
}

process.exitCode = await main(process.argv.slice(2));
// Sockets are closed by stop(); leave nothing behind (pino flushes synchronously to stderr).
process.exit();
