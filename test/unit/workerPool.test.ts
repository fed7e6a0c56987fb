import { LoopWorker } from '../../src/jobs/loopWorker';
import { WorkerPool } from '../../src/jobs/workerPool';
import { createLogger } from '../../src/lib/logger';

class Probe extends LoopWorker {
  wakes = 0;
  started = 0;
  stopped = 0;
  constructor(readonly intervalMs: number) {
    super('probe', createLogger('silent'), intervalMs);
  }
  async runOnce(): Promise<number> {
    return 0;
  }
  override wake(): void {
    this.wakes++;
    super.wake();
  }
  override start(): void {
    this.started++;
    super.start();
  }
  override async stop(): Promise<void> {
    this.stopped++;
    await super.stop();
  }
}

it('makes each worker for its interval, wakes only those listening for a signal, and starts and stops them all', async () => {
  const pool = new WorkerPool<'a' | 'b'>();
  const one = pool.add({ name: 'one', intervalMs: 1000, wakeOn: ['a'] }, (ms) => new Probe(ms));
  const two = pool.add({ name: 'two', intervalMs: 2000, wakeOn: ['a', 'b'] }, (ms) => new Probe(ms));
  expect([one.intervalMs, two.intervalMs]).toEqual([1000, 2000]);
  expect(pool.list().map((e) => e.name)).toEqual(['one', 'two']);
  pool.wake('b');
  expect([one.wakes, two.wakes]).toEqual([0, 1]);
  pool.wakeAll();
  expect([one.wakes, two.wakes]).toEqual([1, 2]);
  pool.start();
  await pool.stop();
  expect([one.started, one.stopped, two.started, two.stopped]).toEqual([1, 1, 1, 1]);
});

it('refuses a worker name twice', () => {
  const pool = new WorkerPool<'a'>();
  pool.add({ name: 'one', intervalMs: 10, wakeOn: [] }, (ms) => new Probe(ms));
  expect(() => pool.add({ name: 'one', intervalMs: 10, wakeOn: [] }, (ms) => new Probe(ms))).toThrow(/twice/);
});
