import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/connection';
import { invalid } from './failures';
import { welcomeSettings } from './schema';
import { getTemplate } from './templates';

export interface WelcomeSettings {
  defaultWelcomeTemplateId: number | null;
  defaultGroupWelcomeTemplateId: number | null;
  updatedBy: string | null;
  updatedAt: Date | null;
}

export async function getWelcomeSettings(ex: Executor, corpId: string): Promise<WelcomeSettings> {
  const [row] = await ex.select().from(welcomeSettings).where(eq(welcomeSettings.corpId, corpId));
  return {
    defaultWelcomeTemplateId: row?.defaultWelcomeTemplateId ?? null,
    defaultGroupWelcomeTemplateId: row?.defaultGroupWelcomeTemplateId ?? null,
    updatedBy: row?.updatedBy ?? null,
    updatedAt: row?.updatedAt ?? null,
  };
}

/** Sets (or clears with null) the corp's default welcome and group welcome templates; each must be a live template of that kind. */
export async function setWelcomeSettings(
  ex: Executor,
  corpId: string,
  patch: { defaultWelcomeTemplateId?: number | null; defaultGroupWelcomeTemplateId?: number | null },
  actor: string,
  now: Date,
): Promise<WelcomeSettings> {
  const check = async (path: string, id: number | null | undefined, kind: 'welcome' | 'group_welcome') => {
    if (id === undefined || id === null) return;
    const t = await getTemplate(ex, corpId, id);
    if (!t || t.archivedAt) throw invalid(path, `no template ${id}`);
    if (t.kind !== kind) throw invalid(path, `template ${id} is a ${t.kind} template, a ${kind} template is needed`);
  };
  await check('defaultWelcomeTemplateId', patch.defaultWelcomeTemplateId, 'welcome');
  await check('defaultGroupWelcomeTemplateId', patch.defaultGroupWelcomeTemplateId, 'group_welcome');
  const set = {
    ...(patch.defaultWelcomeTemplateId !== undefined ? { defaultWelcomeTemplateId: patch.defaultWelcomeTemplateId } : {}),
    ...(patch.defaultGroupWelcomeTemplateId !== undefined ? { defaultGroupWelcomeTemplateId: patch.defaultGroupWelcomeTemplateId } : {}),
    updatedBy: actor,
    updatedAt: now,
  };
  await ex.insert(welcomeSettings).values({ corpId, ...set }).onConflictDoUpdate({ target: welcomeSettings.corpId, set });
  return getWelcomeSettings(ex, corpId);
}
