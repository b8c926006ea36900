import { createHash } from 'node:crypto';

/** Minimal server-rendered pages for the sign-in flow. Every interpolated value is escaped. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
input,button{font-size:1rem;padding:.5rem;margin:.25rem 0;width:100%;box-sizing:border-box}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;word-break:break-all}
.error{color:#a00}`;

/** The CSP source that allows the pages' one inline style sheet (and no other). */
export const PAGE_STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function errorPage(message: string, reference: string): string {
  return page('Sign-in failed', `<p class="error">${escapeHtml(message)}</p><p>Reference: <code>${escapeHtml(reference)}</code></p>`);
}

/** Home-realm discovery: ask for a work email (or the organization) when the request did not say. */
export function pickerPage(action: string, error?: string): string {
  return page(
    'Sign in',
    `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}">
<label>Work email <input type="email" name="email" autocomplete="username" autofocus></label>
<p>or</p>
<label>Organization <input type="text" name="organization" autocomplete="organization"></label>
<button type="submit">Continue</button></form>`,
  );
}

/** Several identity providers for one organization: let the person choose. */
export function connectionPickerPage(links: { name: string; href: string }[]): string {
  return page('Choose how to sign in', `<ul>${links.map((l) => `<li><a href="${escapeHtml(l.href)}">${escapeHtml(l.name)}</a></li>`).join('')}</ul>`);
}

/** What an admin's test login received from the IdP, how the connection mapped it, and what to fix. */
export function testResultPage(r: { outcome: string; reason: string | null; received: Record<string, unknown>; mapped?: Record<string, unknown>; warnings?: string[] }): string {
  const table = (o: Record<string, unknown>, id: string) =>
    `<table id="${id}">${Object.entries(o)
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : v)}</td></tr>`)
      .join('')}</table>`;
  const status = r.outcome === 'succeeded' ? '<p>The identity provider answered correctly. Received attributes:</p>' : `<p class="error">The test failed: ${escapeHtml(r.reason)}</p>`;
  const warnings = r.warnings?.length ? `<h2>Check the mapping</h2><ul id="warnings">${r.warnings.map((w) => `<li class="error">${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  const mapped = r.mapped ? `<h2>Mapped profile</h2>${table(r.mapped, 'mapped')}` : '';
  return page('Connection test', `${status}${table(r.received, 'received')}${mapped}${warnings}`);
}
