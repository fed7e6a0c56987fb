/**
 * Counts every /cgi-bin call by API path and by the ids it names (userid,
 * external_userid, chat_id, …), so tests can assert "no duplicate call".
 */
export interface CallsSnapshot {
  total: number;
  byApi: Record<string, number>;
  /** api → id → count. */
  byId: Record<string, Record<string, number>>;
}

export class CallCounter {
  total = 0;
  byApi: Record<string, number> = {};
  byId: Record<string, Record<string, number>> = {};

  record(api: string, ids: readonly string[]): void {
    this.total += 1;
    this.byApi[api] = (this.byApi[api] ?? 0) + 1;
    if (ids.length === 0) return;
    const m = (this.byId[api] ??= {});
    for (const id of ids) m[id] = (m[id] ?? 0) + 1;
  }

  /** Calls to `api` (e.g. 'externalcontact/get'), or those naming `id` when given. */
  count(api: string, id?: string): number {
    return id === undefined ? (this.byApi[api] ?? 0) : (this.byId[api]?.[id] ?? 0);
  }

  /** Ids named more than once for `api`: the "no duplicate call" check. */
  duplicates(api: string): string[] {
    return Object.entries(this.byId[api] ?? {}).filter(([, n]) => n > 1).map(([id]) => id);
  }

  reset(): void {
    this.total = 0;
    this.byApi = {};
    this.byId = {};
  }

  snapshot(): CallsSnapshot {
    return { total: this.total, byApi: { ...this.byApi }, byId: structuredClone(this.byId) };
  }
}
