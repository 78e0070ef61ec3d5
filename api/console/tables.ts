import type { CsvField } from './csv';
import { html, type Html } from './html';

/**
 * One model for every table the console shows, rendered to HTML and to CSV by the same code, so an
 * export is suppressed exactly as the page is: a withheld count is never a number in either.
 */
export type Why = 'released' | 'small' | 'complementary' | 'earlier_release' | 'numerator_withheld' | 'not_reported';

export type Cell =
  | { kind: 'count'; value: number | null; why: Why }
  /** A share in percent computed from released counts only; null when a count it needs is withheld. */
  | { kind: 'percent'; value: number | null }
  | { kind: 'text'; text: string }
  | { kind: 'html'; text: string; markup: Html };

export interface ConsoleTable {
  /** Names the table in its CSV link (`?table=`) and its element id. */
  id: string;
  caption: string;
  /** The header of the row-label column, then one per column. */
  head: string[];
  rows: Array<{ label: string; cells: Cell[] }>;
}

export const WHY_TEXT: Record<Exclude<Why, 'released'>, string> = {
  small: 'withheld: small cell',
  complementary: 'withheld: complementary',
  earlier_release: 'withheld: earlier release',
  numerator_withheld: 'withheld: its count is',
  not_reported: 'not reported',
};

export const count = (e: { value: number | null; why: Why }): Cell => ({ kind: 'count', value: e.value, why: e.why });
export const text = (t: string): Cell => ({ kind: 'text', text: t });

/** `part` as a percentage of `whole`, one decimal; null unless both were released (and whole > 0). */
export function percentOf(part: Cell, whole: Cell): Cell {
  if (part.kind !== 'count' || whole.kind !== 'count' || part.value === null || whole.value === null || whole.value === 0)
    return { kind: 'percent', value: null };
  return { kind: 'percent', value: Math.round((part.value / whole.value) * 1000) / 10 };
}

const NUMBER = new Intl.NumberFormat('en-US');

function cellHtml(c: Cell): Html {
  switch (c.kind) {
    case 'count':
      return c.value === null
        ? html`<td class="withheld" data-why="${c.why}">${WHY_TEXT[c.why === 'released' ? 'small' : c.why]}</td>`
        : html`<td data-value="${c.value}">${NUMBER.format(c.value)}</td>`;
    case 'percent':
      return c.value === null
        ? html`<td class="withheld" data-why="derived">withheld</td>`
        : html`<td data-value="${c.value}">${c.value.toFixed(1)}%</td>`;
    case 'text':
      return html`<td class="text">${c.text}</td>`;
    case 'html':
      return html`<td class="text">${c.markup}</td>`;
  }
}

export function tableHtml(t: ConsoleTable, csvHref?: string): Html {
  return html`<table id="${t.id}">
    <caption>
      ${t.caption}${csvHref ? html` <a href="${csvHref}" download>Download CSV<span class="sr-only"> of ${t.caption}</span></a>` : ''}
    </caption>
    <thead>
      <tr>
        ${t.head.map((h, i) => html`<th scope="col" ${i === 0 ? html` class="text"` : ''}>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${t.rows.map(
        (r) =>
          html`<tr>
            <th scope="row">${r.label}</th>
            ${r.cells.map(cellHtml)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function cellCsv(c: Cell): CsvField {
  switch (c.kind) {
    case 'count':
      return c.value === null ? WHY_TEXT[c.why === 'released' ? 'small' : c.why] : c.value;
    case 'percent':
      return c.value === null ? 'withheld' : c.value;
    case 'text':
    case 'html':
      return c.text;
  }
}

/** The table as CSV rows: the header, then one line per row; withheld cells say why, never the count. */
export function tableCsv(t: ConsoleTable): CsvField[][] {
  return [t.head, ...t.rows.map((r) => [r.label, ...r.cells.map(cellCsv)])];
}
