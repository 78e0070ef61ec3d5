import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The console's static assets. Chart.js comes from its npm package (its UMD build, read once from
 * node_modules: no CDN, no bundler). Our stylesheet and the few lines that draw charts are kept here
 * as text, so `tsc` ships them in dist/ with nothing to copy.
 */
export interface Asset {
  body: string | Buffer;
  type: string;
  etag: string;
}

const asset = (body: string | Buffer, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

const CSS = `
:root { --ink: #1b1b1f; --muted: #4a4a55; --line: #c9c9d1; --bg: #fff; --panel: #f4f5f8; --accent: #0b4f9c; --bad: #8a1c1c; --focus: #f0a500; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 10; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #14213d; color: #fff; }
header.top .brand { font-weight: 700; font-size: 1.1rem; color: #fff; text-decoration: none; }
header.top .who { margin-left: auto; font-size: .9rem; }
header.top form { display: inline; margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff; border-radius: 4px; padding: .2rem .7rem; cursor: pointer; font: inherit; }
.layout { display: grid; grid-template-columns: 14rem 1fr; min-height: calc(100vh - 3rem); }
nav.side { background: var(--panel); border-right: 1px solid var(--line); padding: 1rem; }
nav.side h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 1rem 0 .4rem; }
nav.side ul { list-style: none; margin: 0; padding: 0; }
nav.side li a { display: block; padding: .3rem .5rem; border-radius: 4px; text-decoration: none; }
nav.side li a[aria-current="page"] { background: var(--accent); color: #fff; }
main { padding: 1.2rem 2rem; max-width: 76rem; }
h1 { font-size: 1.5rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .6rem; }
p.lead { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; min-width: 24rem; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: right; }
th[scope="row"], td.text, th.text { text-align: left; }
thead th { background: var(--panel); text-align: left; }
td.withheld { color: var(--bad); font-style: italic; }
.cards { display: flex; flex-wrap: wrap; gap: 1rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 6px; padding: .7rem 1rem; min-width: 11rem; background: var(--panel); }
.cards .value { display: block; font-size: 1.6rem; font-weight: 700; }
.cards .label { color: var(--muted); font-size: .9rem; }
.chart { position: relative; height: 260px; max-width: 56rem; margin: .5rem 0 1rem; }
form.range { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 1rem; margin: 0 0 1rem; }
form.range label, form.login label { display: flex; flex-direction: column; font-size: .9rem; font-weight: 600; }
input, select { font: inherit; padding: .3rem .4rem; border: 1px solid #6b6b76; border-radius: 4px; }
button.primary, a.button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: .4rem 1rem; font: inherit; cursor: pointer; text-decoration: none; display: inline-block; }
button.small { font: inherit; font-size: .9rem; padding: .1rem .6rem; }
form.login { max-width: 22rem; margin: 4rem auto; display: flex; flex-direction: column; gap: 1rem; border: 1px solid var(--line); border-radius: 8px; padding: 2rem; }
.error { color: var(--bad); font-weight: 600; }
.notice { background: #e7f1e7; border: 1px solid #6a9c6a; padding: .5rem 1rem; border-radius: 4px; }
.legend { font-size: .9rem; color: var(--muted); }
`;

const JS = `(function () {
  'use strict';
  var palette = ['#0b4f9c', '#c2410c', '#15803d', '#7e22ce', '#a16207', '#be123c'];
  document.querySelectorAll('script[type="application/json"][data-chart-for]').forEach(function (el) {
    var canvas = document.getElementById(el.getAttribute('data-chart-for'));
    if (!canvas || typeof Chart === 'undefined') return;
    var spec = JSON.parse(el.textContent || '{}');
    new Chart(canvas, {
      type: spec.type || 'bar',
      data: {
        labels: spec.labels,
        datasets: (spec.datasets || []).map(function (d, i) {
          return { label: d.label, data: d.data, backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length] };
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: (spec.datasets || []).length > 1 } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    canvas.setAttribute('data-chart-ready', 'true');
  });
})();
`;

let chartJs: Asset | undefined;

/** The asset at `/console/assets/<name>`, or undefined. */
export function consoleAsset(name: string): Asset | undefined {
  switch (name) {
    case 'console.css':
      return STYLE;
    case 'console.js':
      return SCRIPT;
    case 'favicon.svg':
      return ICON;
    case 'chart.umd.min.js':
      // chart.js's package exports only its module entry points: find the UMD build beside the CommonJS one.
      chartJs ??= asset(readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js')), 'text/javascript');
      return chartJs;
    default:
      return undefined;
  }
}

const STYLE = asset(CSS, 'text/css');
const SCRIPT = asset(JS, 'text/javascript');
const ICON = asset(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#14213d"/><path d="M3 11h10M5 11V6m3 5V4m3 7V8" stroke="#fff" stroke-width="1.6"/></svg>',
  'image/svg+xml',
);
