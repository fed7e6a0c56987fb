import {
  findVariables, isCustomerVariable, isKnownVariable, renderTemplate, templateVariables, truncateBytes, TEXT_MAX_BYTES, type RenderVars, type TemplateAttachment,
} from '../../src/touchpoints/content/render';

const tpl = (text: string, attachments: TemplateAttachment[] = []) => ({ text, attachments });
const vars: RenderVars = {
  customer: { name: '王芳', remark: '王姐 · VIP', corpName: 'Acme' },
  rep: { name: 'Li Wei', position: 'Advisor' },
  fields: { city: 'Hangzhou', budget: 1200, interests: ['tea', 'books'], empty: '', nested: { a: 1 } },
};

describe('renderTemplate: variables', () => {
  it('substitutes customer, rep and field variables, spaces inside braces allowed', () => {
    const r = renderTemplate(tpl('你好 {{customer.name}}（{{ customer.remark }}），我是{{rep.name}}。{{field.city}} / {{fields.budget}} / {{field.interests}} / {{customer.corpName}}'), vars);
    expect(r.text).toBe('你好 王芳（王姐 · VIP），我是Li Wei。Hangzhou / 1200 / tea、books / Acme');
    expect(r.missing).toEqual([]);
    expect(r.truncated).toBe(false);
  });

  it('uses the fallback for a missing or empty value and reports the variable', () => {
    const r = renderTemplate(tpl('Hi {{customer.name|朋友}}, {{field.empty|n/a}} {{field.unknown_key}}!'), { rep: { name: 'x' } });
    expect(r.text).toBe('Hi 朋友, n/a !');
    expect(r.missing).toEqual(['customer.name', 'field.empty', 'field.unknown_key']);
  });

  it('trims the fallback and keeps characters such as | : . in it', () => {
    expect(renderTemplate(tpl('{{ customer.name | dear friend }}'), {}).text).toBe('dear friend');
    expect(renderTemplate(tpl('{{customer.name|a|b: c.d}}'), {}).text).toBe('a|b: c.d');
  });

  it('renders unknown variables as their fallback or nothing and reports them', () => {
    const r = renderTemplate(tpl('[{{order.total}}][{{customer.password|?}}][{{rep}}]'), vars);
    expect(r.text).toBe('[][?][]');
    expect(r.missing).toEqual(['order.total', 'customer.password', 'rep']);
  });

  it('does not treat objects as values', () => {
    const r = renderTemplate(tpl('{{field.nested|none}}'), vars);
    expect(r.text).toBe('none');
    expect(r.missing).toEqual(['field.nested']);
  });

  it('leaves text without variables, lone braces and {{}} alone', () => {
    expect(renderTemplate(tpl('a { b } {{}} {{ c'), vars).text).toBe('a { b } {{}} {{ c');
  });
});

describe('renderTemplate: nothing runs, nothing leaks', () => {
  it('inserts values once: a value that looks like a variable or code stays text', () => {
    const evil: RenderVars = {
      customer: { name: '{{rep.name}}', remark: '${process.exit(1)}' },
      rep: { name: 'SECRET-REP' },
      fields: { x: "<script>alert(1)</script>{{constructor.constructor('return process')()}}" },
    };
    const r = renderTemplate(tpl('{{customer.name}} {{customer.remark}} {{field.x}}'), evil);
    expect(r.text).toBe("{{rep.name}} ${process.exit(1)} <script>alert(1)</script>{{constructor.constructor('return process')()}}");
    expect(r.text).not.toContain('SECRET-REP');
  });

  it.each([
    '{{constructor}}', '{{__proto__}}', '{{toString}}', '{{customer.constructor}}', '{{customer.__proto__}}', '{{customer.hasOwnProperty}}',
    '{{field.constructor}}', '{{field.__proto__}}', '{{field.toString}}', '{{fields.valueOf}}', '{{rep.__defineGetter__}}',
    "{{constructor.constructor('return process')()}}", '{{customer.name.constructor}}',
  ])('%s finds nothing on the prototype chain', (text) => {
    const r = renderTemplate(tpl(`[${text}]`), vars);
    expect(r.text).toBe('[]');
    expect(r.missing).toHaveLength(1);
  });

  it('a prototype-less or polluted fields object is read by own properties only', () => {
    const polluted = Object.create({ inherited: 'from-proto' }) as Record<string, unknown>;
    polluted.own = 'mine';
    const r = renderTemplate(tpl('{{field.own}}|{{field.inherited}}'), { fields: polluted });
    expect(r.text).toBe('mine|');
    expect(r.missing).toEqual(['field.inherited']);
  });
});

describe('renderTemplate: limits', () => {
  it('cuts the rendered text at 4000 bytes without splitting a character', () => {
    const r = renderTemplate(tpl(`${'a'.repeat(3998)}{{customer.name}}`), vars); // 王芳 = 6 bytes
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(TEXT_MAX_BYTES);
    expect(r.text).toBe(`${'a'.repeat(3998)}`);
    expect(r.truncated).toBe(true);
    const ok = renderTemplate(tpl(`${'a'.repeat(3994)}{{customer.name}}`), vars);
    expect(Buffer.byteLength(ok.text)).toBe(4000);
    expect(ok.truncated).toBe(false);
  });

  it('truncateBytes keeps whole code points (CJK, emoji)', () => {
    expect(truncateBytes('王芳', 5)).toEqual({ text: '王', truncated: true });
    expect(truncateBytes('a😀b', 4)).toEqual({ text: 'a', truncated: true });
    expect(truncateBytes('a😀b', 5)).toEqual({ text: 'a😀', truncated: true });
    expect(truncateBytes('abc', 3)).toEqual({ text: 'abc', truncated: false });
  });

  it('renders and cuts link titles and descriptions to their own limits; media references pass untouched', () => {
    const r = renderTemplate(tpl('', [
      { msgtype: 'link', title: `{{customer.name}} ${'t'.repeat(200)}`, url: 'https://x.test/{{customer.name}}', desc: 'for {{customer.name|you}}' },
      { msgtype: 'image', mediaRef: 7 },
      { msgtype: 'miniprogram', title: '{{rep.name}}', picMediaRef: 8, appid: 'wx0123456789abcdef', page: '/p' },
    ]), vars);
    const [link, image, mini] = r.attachments as any[];
    expect(Buffer.byteLength(link.title)).toBeLessThanOrEqual(128);
    expect(link.title.startsWith('王芳 ')).toBe(true);
    expect(link.url).toBe('https://x.test/{{customer.name}}'); // URLs are never rendered
    expect(link.desc).toBe('for 王芳');
    expect(image).toEqual({ msgtype: 'image', mediaRef: 7 });
    expect(mini.title).toBe('Li Wei');
    expect(r.truncated).toBe(true);
  });

  it('a custom text limit (group welcome: 3000) applies', () => {
    const r = renderTemplate(tpl('x'.repeat(3500)), {}, { maxTextBytes: 3000 });
    expect(r.text).toHaveLength(3000);
    expect(r.truncated).toBe(true);
  });
});

describe('templateVariables and variable kinds', () => {
  it('lists the variables a template uses, canonical spelling, in first-use order, from text and attachment titles', () => {
    const t = tpl('{{rep.name}} {{customer.name|x}} {{fields.city}} {{rep.name}}', [
      { msgtype: 'link', title: '{{field.budget}}', url: 'https://x.test', desc: '{{customer.remark}}' },
    ]);
    expect(templateVariables(t)).toEqual(['rep.name', 'customer.name', 'field.city', 'field.budget', 'customer.remark']);
  });

  it('tells known from unknown, and customer-specific from per-rep variables', () => {
    expect(isKnownVariable('customer.name')).toBe(true);
    expect(isKnownVariable('field.city_2')).toBe(true);
    expect(isKnownVariable('field.Bad-Key')).toBe(false);
    expect(isKnownVariable('customer.constructor')).toBe(false);
    expect(isKnownVariable('__proto__')).toBe(false);
    expect(isCustomerVariable('customer.name')).toBe(true);
    expect(isCustomerVariable('fields.city')).toBe(true);
    expect(isCustomerVariable('rep.name')).toBe(false);
  });
});

describe('findVariables: a linear scan (templates are user input)', () => {
  // The regex it replaced; it is still the definition of what a variable is, on inputs small enough for it.
  const REFERENCE = /\{\{\s*([^{}|]*?)\s*(?:\|([^{}]*))?\}\}/g;

  test('finds exactly what the reference regex finds, on random texts over the interesting characters', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['{', '}', '|', ' ', 'a', '.', '\n'];
    for (let n = 0; n < 3000; n++) {
      const text = Array.from({ length: Math.floor(rand() * 24) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      const expected = [...text.matchAll(REFERENCE)].map((m) => ({ start: m.index, end: m.index + m[0].length, path: m[1], fallback: m[2] }));
      expect({ text, found: findVariables(text) }).toEqual({ text, found: expected });
    }
  });

  test.each([
    ['an unclosed {{ followed by spaces', (n: number) => '{{' + ' '.repeat(n)],
    ['many unclosed {{', (n: number) => '{{ a'.repeat(n / 4)],
    ['braces all the way', (n: number) => '{'.repeat(n)],
    ['a pipe and spaces', (n: number) => '{{ a |' + ' '.repeat(n)],
  ])('%s: steps grow linearly with the length', (_, make) => {
    const steps = (n: number) => {
      const s = { count: 0 };
      findVariables(make(n), s);
      return s.count;
    };
    // 8× the input may cost at most about 8× the steps (plus a constant), never 64× or 512×.
    expect(steps(80_000)).toBeLessThanOrEqual(8 * steps(10_000) + 100);
    expect(steps(80_000)).toBeLessThanOrEqual(3 * 80_000);
  });

  test('rendering a 12,000-character adversarial template still substitutes what is closed', () => {
    const text = '{{' + ' '.repeat(3_000) + '{{customer.name|朋友}}'; // under 4000 bytes, so nothing is cut
    const r = renderTemplate({ text, attachments: [] }, { customer: { name: '张三' } });
    expect(r.text.endsWith('张三')).toBe(true);
    expect(r.missing).toEqual([]);
  });
});
