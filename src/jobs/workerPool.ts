import type { LoopWorker } from './loopWorker';

export interface WorkerSpec<S extends string> {
  /** For logs and the list below; unique in the pool. */
  name: string;
  /** Idle interval: how long it waits for due work when it found none. */
  intervalMs: number;
  /** Signals that make it look at once instead of waiting out the interval (wakeAll() wakes every worker). */
  wakeOn: readonly S[];
}

/**
 * The service's workers in one list: each is added once, with its interval and
 * what wakes it, and start, wake and stop go over the list — adding a worker
 * is one entry, not five edits. `S` is the set of wake signals the service raises.
 */
export class WorkerPool<S extends string> {
  private readonly entries: Array<WorkerSpec<S> & { worker: LoopWorker }> = [];

  /** Adds a worker made for its interval; returns it (typed) for the service to expose. */
  add<W extends LoopWorker>(spec: WorkerSpec<S>, create: (intervalMs: number) => W): W {
    if (this.entries.some((e) => e.name === spec.name)) throw new Error(`worker ${spec.name} added twice`);
    const worker = create(spec.intervalMs);
    this.entries.push({ ...spec, worker });
    return worker;
  }

  /** The workers with their specs, in the order added. */
  list(): ReadonlyArray<WorkerSpec<S> & { worker: LoopWorker }> {
    return this.entries;
  }

  start(): void {
    for (const e of this.entries) e.worker.start();
  }

  /** Wakes the workers that listen for `signal`. */
  wake(signal: S): void {
    for (const e of this.entries) if (e.wakeOn.includes(signal)) e.worker.wake();
  }

  /** Every worker looks for due work now (demo mode, when the simulator's clock jumps). */
  wakeAll(): void {
    for (const e of this.entries) e.worker.wake();
  }

  /** Waits for every worker's cycle in flight. */
  async stop(): Promise<void> {
    await Promise.all(this.entries.map((e) => e.worker.stop()));
  }
}
