/** Time source; injected so tests and the simulator can move time without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const unixSeconds = (d: Date = new Date()) => Math.floor(d.getTime() / 1000);
