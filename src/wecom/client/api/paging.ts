/** Guards every cursor loop against a platform that never ends a listing. */
export const MAX_PAGES = 100_000;

/**
 * Pages until the cursor comes back empty (WeCom's "done"). Throws if WeCom
 * repeats a cursor, which would otherwise loop forever.
 */
export async function* followCursor<P extends { nextCursor: string }>(page: (cursor: string) => Promise<P>): AsyncGenerator<P> {
  const seen = new Set<string>();
  let cursor = '';
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const p = await page(cursor);
    yield p;
    if (!p.nextCursor) return;
    if (seen.has(p.nextCursor)) throw new Error('WeCom repeated a paging cursor');
    seen.add(p.nextCursor);
    cursor = p.nextCursor;
  }
  throw new Error(`WeCom paging did not end after ${MAX_PAGES} pages`);
}
