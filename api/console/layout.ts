import { html, type Html } from './html';

/** The console's page shell: header with who is signed in and a sign-out form, side navigation, main. */
export interface NavLink {
  href: string;
  label: string;
}
export interface NavSection {
  heading: string;
  links: NavLink[];
}

export interface Shell {
  title: string;
  body: Html;
  /** Signed-in pages: who, their CSRF token for the sign-out form, and the navigation. */
  session?: { login: string; roleLabel: string; csrf: string };
  nav?: NavSection[];
  /** The path of the page, to mark its navigation link as current. */
  current?: string;
  /** Whether the page draws charts (loads Chart.js and the chart script). */
  charts?: boolean;
}

export const BASE = '/console';

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}

export function page(s: Shell): string {
  const nav = s.nav?.length
    ? html`<nav class="side" aria-label="Console pages">
        ${s.nav.map(
          (sec) =>
            html`<h2>${sec.heading}</h2>
              <ul>
                ${sec.links.map(
                  (l) => html`<li><a href="${l.href}" ${l.href === s.current ? html` aria-current="page"` : ''}>${l.label}</a></li>`,
                )}
              </ul>`,
        )}
      </nav>`
    : '';
  const who = s.session
    ? html`<span class="who"
        >${s.session.login} · ${s.session.roleLabel}
        <form method="post" action="${BASE}/logout">${csrfField(s.session.csrf)}<button type="submit">Sign out</button></form></span
      >`
    : '';
  const scripts = s.charts
    ? html`<script src="${BASE}/assets/chart.umd.min.js"></script>
        <script src="${BASE}/assets/console.js"></script>`
    : '';
  const doc = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${s.title} · Causeway console</title>
        <link rel="stylesheet" href="${BASE}/assets/console.css" />
        <link rel="icon" href="${BASE}/assets/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top"><a class="brand" href="${BASE}/">Causeway console</a>${who}</header>
        ${
          nav
            ? html`<div class="layout">
                ${nav}
                <main id="main">${s.body}</main>
              </div>`
            : html`<main id="main">${s.body}</main>`
        }
        ${scripts}
      </body>
    </html>`;
  return doc.text;
}
