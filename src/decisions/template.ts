// Renders `{{name}}` placeholders from a flat map of values; an unknown name renders as "?"
// rather than failing, so a template typo degrades one annotation, never the alert.

export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g, (_, name: string) => values[name] ?? '?');
}

/** Names a template uses, so definitions can be checked against the values on offer at load. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([a-zA-Z0-9_]+)\s*\}\}/g)].map((m) => m[1]!);
}
