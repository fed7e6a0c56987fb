import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Watches this process's event-loop delay from now until `stop()` (issue goal: p99 < 20 ms during heavy work). */
export function watchLoopDelay(): { stop(): { p99Ms: number; maxMs: number } } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop() {
      h.disable();
      return { p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
    },
  };
}

export const formatLoopDelay = (d: { p99Ms: number; maxMs: number }) => `event-loop delay p99 ${d.p99Ms.toFixed(1)} ms, max ${d.maxMs.toFixed(1)} ms`;
