/**
 * Saving a simulator's durable state to a file and reading it back (demo mode
 * keeps its simulated corp in DATA_DIR beside the database, so a restart shows
 * the same world the database reflects). See "Persistence" in README.md.
 */
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GroupWelcomeTemplate } from './api/groupWelcome';
import type { SentAppMessage, SentWelcome, SimSettings } from './core';
import type { SavedMassDesk } from './world/massMessages';
import type { StoredImage, StoredMedia } from './world/media';
import type { WorldDurable } from './world/state';

export const SIM_STATE_VERSION = 1;
export const SIM_STATE_KIND = 'lifelong-wecom-simulator';

/** The file's content (JSON, one object). */
export interface SimStateFile {
  kind: typeof SIM_STATE_KIND;
  version: typeof SIM_STATE_VERSION;
  corpId: string;
  /** Wall-clock ISO time of the save (informational). */
  savedAt: string;
  /** Restores so far: id streams are seeded with (seed, generation) so a restored simulator draws new ids. */
  generation: number;
  seed: number;
  clock: {
    /** Simulated epoch ms at the save: a restored simulator never starts before it. */
    simNowMs: number;
    /** The base clock's epoch ms at the save: simulated − base is the offset kept across a restart. */
    baseNowMs: number;
  };
  settings: SimSettings;
  world: WorldDurable;
  massMessages: SavedMassDesk;
  media: { uploads: StoredMedia[]; images: StoredImage[] };
  groupWelcomeTemplates: GroupWelcomeTemplate[];
  appMessages: SentAppMessage[];
  welcomeMessages: SentWelcome[];
}

/** The state file cannot be used: unreadable, not JSON, another version or another corp. Never reseeded over silently. */
export class SimStateFileError extends Error {
  constructor(readonly file: string, problem: string) {
    super(
      `WeCom simulator state file ${file} ${problem}. It holds the simulated corp the database reflects, so it is not `
      + 'reseeded over. To start again from a freshly seeded world, delete the file (and the database beside it, '
      + 'which then no longer matches the world).',
    );
    this.name = 'SimStateFileError';
  }
}

const WORLD_LISTS = [
  'departments', 'employees', 'customers', 'strangers', 'relations', 'groups', 'tagGroups', 'transfers', 'groupTransfers', 'contactWays',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads and checks a state file. Returns undefined when the file does not exist
 * (seed as usual); throws SimStateFileError when it exists but is not usable.
 */
export function readStateFile(file: string, corpId: string): SimStateFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SimStateFileError(file, `cannot be read (${(err as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SimStateFileError(file, `is not valid JSON (${(err as Error).message}; a truncated or corrupt file)`);
  }
  if (!isObject(data) || data.kind !== SIM_STATE_KIND) throw new SimStateFileError(file, 'is not a simulator state file');
  if (data.version !== SIM_STATE_VERSION) {
    throw new SimStateFileError(file, `has format version ${JSON.stringify(data.version)}; this simulator reads version ${SIM_STATE_VERSION}`);
  }
  if (data.corpId !== corpId) throw new SimStateFileError(file, `belongs to corp ${JSON.stringify(data.corpId)}, not ${corpId}`);
  const bad = (what: string) => new SimStateFileError(file, `is incomplete or corrupt (${what})`);
  const world = data.world;
  if (!isObject(world) || world.corpId !== corpId) throw bad('world');
  for (const k of WORLD_LISTS) if (!Array.isArray(world[k])) throw bad(`world.${k}`);
  const clock = data.clock;
  if (!isObject(clock) || typeof clock.simNowMs !== 'number' || typeof clock.baseNowMs !== 'number') throw bad('clock');
  if (!Number.isInteger(data.generation) || !Number.isInteger(data.seed)) throw bad('generation / seed');
  const mass = data.massMessages;
  if (!isObject(mass) || !Array.isArray(mass.tasks) || !Array.isArray(mass.receipts) || !Array.isArray(mass.templateCalls)) throw bad('massMessages');
  const media = data.media;
  if (!isObject(media) || !Array.isArray(media.uploads) || !Array.isArray(media.images)) throw bad('media');
  for (const k of ['groupWelcomeTemplates', 'appMessages', 'welcomeMessages'] as const) if (!Array.isArray(data[k])) throw bad(k);
  if (!isObject(data.settings)) throw bad('settings');
  return data as unknown as SimStateFile;
}

/**
 * Writes `text` to `file` atomically: `file.tmp` (mode 0600), fsync, rename,
 * then fsync the directory (best effort) so the rename itself is durable.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    // A tmp file left by a crash keeps its old mode: set it explicitly.
    await fh.chmod(0o600);
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  try {
    const fd = openSync(dirname(file), 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is synced.
  }
}

/**
 * A 32-bit seed for one id stream: generation 0 keeps the historical
 * `(seed ^ salt)` (same seed → same ids as before persistence existed); later
 * generations are mixed (murmur3 finaliser) so a restored simulator does not
 * replay the ids it drew before the restart.
 */
export function streamSeed(seed: number, salt: number, generation: number): number {
  const base = (seed ^ salt) >>> 0;
  if (generation === 0) return base;
  let h = (base + Math.imul(generation, 0x9e3779b9)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
