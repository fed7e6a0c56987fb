import { randomUUID } from 'node:crypto';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';

/**
 * A worker that runs `runOnce` (claim → work → settle) until stopped: again
 * at once while it finds work, else after `pollMs` or when woken. `stop()`
 * waits for the cycle in flight, so the current item finishes before shutdown;
 * subclasses read `stopping` to hand back what they have not started.
 */
export abstract class LoopWorker {
  /** The claimer id written into leases. */
  readonly id: string;
  protected stopping = false;
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  /** Set by wake(): a wake during a cycle means "go round again", not "sleep a full interval". */
  private woken = false;

  protected constructor(
    private readonly kind: string,
    protected readonly log: Logger,
    private readonly pollMs: number,
  ) {
    this.id = `${kind}-${randomUUID().slice(0, 8)}`;
  }

  /** One claim-and-work cycle; returns how many items it handled. */
  abstract runOnce(): Promise<number>;

  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.running = false;
    this.wakeUp?.();
    await this.loop;
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let worked = 0;
      try {
        worked = await this.runOnce();
      } catch (err) {
        this.log.error({ err: { message: errorMessage(err) } }, `${this.kind} cycle failed`);
      }
      if (worked === 0 && this.running && !this.woken) await this.idle();
    }
  }

  /** Waits pollMs, or until woken or stopped — leaving no timer behind to hold the process open. */
  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.pollMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
