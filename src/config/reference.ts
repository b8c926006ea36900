import { settings } from './schema.ts';

/** The configuration reference table, as Markdown, for the README. */
export function renderConfigReference(): string {
  const rows = Object.values(settings).map((s) => {
    const def = s.schema.parse(undefined);
    return `| \`${s.env}\` | ${def === undefined ? '(none)' : `\`${String(def)}\``} | ${s.description} |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
