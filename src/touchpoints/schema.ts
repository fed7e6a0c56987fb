/** Touchpoint tables: content (templates, channels, welcome) and campaigns (schedules, runs, deliveries). */
export * from './content/schema';
export * from './campaigns/schema';
