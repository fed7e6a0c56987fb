import type { Executor } from '../db/connection';
import { eventAppendBatchRows } from '../lib/metrics';
import { appendEvents, type AppendOutcome, type EventToAppend } from './eventLog';

export interface GroupCommitOptions {
  /** Rows per statement at most. */
  maxBatch?: number;
  /** How long an append may wait for company while another insert is in flight. */
  maxWaitMs?: number;
  /** Insert statements in flight at once at most (PGlite runs them one at a time anyway). */
  maxInFlight?: number;
  /** The batch writer (appendEvents; tests count or fail it). */
  write?: (ex: Executor, items: readonly EventToAppend[]) => Promise<AppendOutcome[]>;
}

interface Waiter {
  item: EventToAppend;
  resolve(o: AppendOutcome): void;
  reject(err: unknown): void;
}

/**
 * Group commit for the callback front door: appends that arrive while an
 * insert is in flight share the next multi-row insert (one statement, one
 * commit). Each caller's promise settles only after the statement holding its
 * row has committed — so `success` still means durable — and with exactly
 * what appendEvent would have answered (duplicates within a batch included).
 * When nothing is in flight an append is written at once: a lone callback
 * waits for nobody. A failed statement rejects every append in it.
 */
export class GroupCommitAppender {
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly maxInFlight: number;
  private readonly write: NonNullable<GroupCommitOptions['write']>;
  private queue: Waiter[] = [];
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private scheduled = false;
  /**
   * The last statement had company (several rows, or appends queued while it ran): callbacks are streaming in,
   * so the next one waits up to maxWaitMs for more. A lone caller awaiting each append in turn never sets it.
   */
  private streaming = false;
  private lastWriteAt = -Infinity;

  constructor(private readonly ex: Executor, o: GroupCommitOptions = {}) {
    this.maxBatch = o.maxBatch ?? 200;
    this.maxWaitMs = o.maxWaitMs ?? 2;
    this.maxInFlight = o.maxInFlight ?? 2;
    this.write = o.write ?? appendEvents;
  }

  append(corpId: string, xml: string, event: EventToAppend['event']): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.queue.push({ item: { corpId, xml, event }, resolve, reject });
      this.pump();
    });
  }

  /**
   * Background work on this thread gives way to callbacks under a burst: while they stream in, wait `ms`
   * (at most `capMs`) — a duty cycle, never a stop, so a long burst still gets its events processed.
   * Resolves at once when the front door is quiet.
   */
  async giveWay(ms: number, capMs = 50): Promise<void> {
    if (ms <= 0 || this.quiet()) return;
    await new Promise((r) => setTimeout(r, Math.min(ms, capMs)));
  }

  private quiet(): boolean {
    if (this.queue.length > 0 || this.inFlight > 0) return this.inFlight === 0 && !this.streaming;
    return !this.streaming || performance.now() - this.lastWriteAt > 4 * this.maxWaitMs;
  }

  /** Appends queued or in flight (for shutdown and tests). */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private pump(): void {
    if (this.queue.length === 0) return;
    if (this.queue.length >= this.maxBatch) {
      // Full: now, or as soon as an insert in flight makes room (see flush's settle).
      if (this.inFlight < this.maxInFlight) this.flush();
      return;
    }
    if (this.inFlight === 0 && !this.streaming) {
      // A lone callback: write as soon as this turn of the event loop has read what arrived with it
      // (setImmediate, no timer): nothing waits at low load.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          if (this.inFlight === 0 && !this.timer) this.flush();
        });
      }
      return;
    }
    // Callbacks are streaming in (the last batch had company) or an insert is in flight: wait for company,
    // at most maxWaitMs. PGlite runs a statement on this thread, so "in flight" alone would rarely be seen there.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      // Go alongside the insert in flight when allowed, else right after it (see flush's settle).
      if (this.inFlight < this.maxInFlight) this.flush();
    }, this.maxWaitMs);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    eventAppendBatchRows.observe(batch.length);
    let written: Promise<AppendOutcome[]>;
    try {
      written = this.write(this.ex, batch.map((w) => w.item));
    } catch (err) {
      written = Promise.reject(err);
    }
    written.then(
      (outcomes) => {
        batch.forEach((w, i) => {
          const o = outcomes[i];
          if (o) w.resolve(o);
          else w.reject(new Error('the batch insert returned no outcome for an event'));
        });
      },
      (err) => {
        for (const w of batch) w.reject(err);
      },
    ).finally(() => {
      this.inFlight--;
      this.lastWriteAt = performance.now();
      this.streaming = batch.length > 1 || this.queue.length > 0;
      // Whoever queued meanwhile has already waited one insert: go at once.
      if (this.queue.length > 0) {
        this.flush();
        this.pump();
      }
    });
  }
}
