import fc from 'fast-check';
import { csvField, toCsv } from '../../api/console/csv';
import { escapeHtml, html, jsonForScript, trusted } from '../../api/console/html';
import { count, percentOf, tableCsv, tableHtml, type ConsoleTable, type Why } from '../../api/console/tables';
import { EXPECTED_STAGE_MS, expectedBy, overdueMs, stageDeadlines } from '../../domain/operations/stuckJourneys';

/** The console's rendering: CSV and HTML escaping, and withheld counts never shown as numbers. */
describe('CSV', () => {
  it('quotes what needs quoting and doubles quotes (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
    expect(
      toCsv([
        ['a', 1],
        ['b,c', null],
      ]),
    ).toBe('a,1\r\n"b,c",\r\n');
  });

  it('defuses spreadsheet formulas in text, not numbers', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-3)).toBe('-3');
  });

  it('reads back every field as written (a small RFC 4180 reader)', () => {
    const read = (line: string): string[] => {
      const out: string[] = [];
      let i = 0;
      for (;;) {
        let f = '';
        if (line[i] === '"') {
          i++;
          for (;;) {
            if (line[i] === '"' && line[i + 1] === '"') {
              f += '"';
              i += 2;
            } else if (line[i] === '"') {
              i++;
              break;
            } else f += line[i++];
          }
        } else while (i < line.length && line[i] !== ',') f += line[i++];
        out.push(f);
        if (i >= line.length) return out;
        i++;
      }
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s)),
          { minLength: 1, maxLength: 5 },
        ),
        (fields) => {
          const line = toCsv([fields]).slice(0, -2);
          expect(read(line)).toEqual(fields);
        },
      ),
    );
  });
});

describe('HTML', () => {
  it('escapes every interpolated value, but not our own fragments', () => {
    const evil = `<script>alert('x')</script>"&`;
    const out = html`<p title="${evil}">${evil}${trusted('<b>ok</b>')}${[evil, html`<i>${evil}</i>`]}</p>`.text;
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;');
    expect(out).toContain('<b>ok</b>');
    expect(out).toContain('<i>&lt;script&gt;');
    fc.assert(fc.property(fc.string(), (s) => expect(escapeHtml(s)).not.toMatch(/[<>"'`]/)));
  });

  it('writes JSON for a script block that no value can close', () => {
    const out = jsonForScript({ label: '</script><script>alert(1)</script>', x: '\u2028' }).text;
    expect(out).not.toMatch(/<|>/);
    expect(JSON.parse(out)).toEqual({ label: '</script><script>alert(1)</script>', x: '\u2028' });
  });
});

describe('tables', () => {
  const whys: Why[] = ['small', 'complementary', 'earlier_release'];
  it('shows a withheld count as its reason on the page and in the CSV, never a number', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ value: fc.option(fc.integer({ min: 0, max: 10_000 })), why: fc.constantFrom(...whys) }), {
          minLength: 1,
          maxLength: 6,
        }),
        (entries) => {
          const t: ConsoleTable = {
            id: 't',
            caption: 'T',
            head: ['Row', ...entries.map((_, i) => `c${i}`)],
            rows: [{ label: 'r', cells: entries.map((e) => count(e.value === null ? e : { value: e.value, why: 'released' })) }],
          };
          const csv = tableCsv(t)[1]!;
          entries.forEach((e, i) => {
            if (e.value === null) expect(csv[i + 1]).toMatch(/^withheld: /);
            else expect(csv[i + 1]).toBe(e.value);
          });
          const page = tableHtml(t).text;
          expect((page.match(/class="withheld"/g) ?? []).length).toBe(entries.filter((e) => e.value === null).length);
        },
      ),
    );
  });

  it('computes shares only from released counts', () => {
    expect(percentOf(count({ value: 25, why: 'released' }), count({ value: 100, why: 'released' }))).toEqual({
      kind: 'percent',
      value: 25,
    });
    expect(percentOf(count({ value: null, why: 'small' }), count({ value: 100, why: 'released' }))).toEqual({
      kind: 'percent',
      value: null,
    });
    expect(percentOf(count({ value: 20, why: 'released' }), count({ value: null, why: 'complementary' }))).toEqual({
      kind: 'percent',
      value: null,
    });
    expect(percentOf(count({ value: 0, why: 'released' }), count({ value: 0, why: 'released' }))).toEqual({ kind: 'percent', value: null });
  });
});

describe('stuck journeys', () => {
  const at = Date.parse('2026-12-01T12:00:00Z');
  it('measures a live stage from its last change, a booking from its slot, and never an ended stage', () => {
    expect(overdueMs({ vertical: 'retail', stage: 'paying', updatedAtMs: at - 31 * 60_000 }, at)).toBe(60_000);
    expect(overdueMs({ vertical: 'retail', stage: 'paying', updatedAtMs: at - 29 * 60_000 }, at)).toBeNull();
    expect(overdueMs({ vertical: 'retail', stage: 'closed', updatedAtMs: 0 }, at)).toBeNull();
    expect(
      overdueMs({ vertical: 'hospital', stage: 'booked', updatedAtMs: at - 10 * 86_400_000, slotStartMs: at + 3_600_000 }, at),
    ).toBeNull();
    expect(overdueMs({ vertical: 'hospital', stage: 'booked', updatedAtMs: at, slotStartMs: at - 3 * 3_600_000 }, at)).toBe(3_600_000);
    expect(expectedBy({ vertical: 'transit', stage: 'settled', updatedAtMs: at })).toBeNull();
  });

  it('asks the list for each live stage, late by the same rule the page applies', () => {
    const deadlines = stageDeadlines('hospital', at);
    expect(deadlines.map((d) => d.stage)).toEqual(Object.keys(EXPECTED_STAGE_MS.hospital));
    expect(deadlines.find((d) => d.stage === 'booked')).toEqual({ stage: 'booked', from: 'slot_start', lateIfBefore: at - 2 * 3_600_000 });
    fc.assert(
      fc.property(
        fc.constantFrom('hospital', 'transit', 'retail' as const),
        fc.integer({ min: 0, max: 40 * 86_400_000 }),
        (vertical, age) => {
          for (const d of stageDeadlines(vertical, at)) {
            const entered = at - age;
            const j =
              d.from === 'slot_start'
                ? { vertical, stage: d.stage, updatedAtMs: at, slotStartMs: entered }
                : { vertical, stage: d.stage, updatedAtMs: entered };
            expect(entered < d.lateIfBefore).toBe(overdueMs(j, at) !== null);
          }
        },
      ),
    );
  });
});
