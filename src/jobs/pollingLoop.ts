import { sleep } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';

/**
 * Runs `cycle` until stopped: again at once while it finds work, else after
 * `pollMs` (or sooner when woken). `stop()` waits for the cycle in flight,
 * so the current item finishes before shutdown.
 */
export class PollingLoop {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;

  constructor(
    private readonly name: string,
    private readonly cycle: () => Promise<number>,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = 0;
      try {
        worked = await this.cycle();
      } catch (err) {
        this.log.error({ err: { message: errorMessage(err) } }, `${this.name} cycle failed`);
      }
      if (worked === 0 && this.running) {
        await Promise.race([sleep(this.pollMs), new Promise<void>((r) => (this.wakeUp = r))]);
      }
    }
  }
}
