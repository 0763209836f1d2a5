/**
 * HTML built from template literals with every interpolated value escaped unless it is already
 * {@link Html}. Browser-safe: the server renders the first paint with it and the page's script
 * re-renders parts with the same functions.
 */

/** Markup that is already safe to insert. */
export interface Html {
  readonly html: string;
}

/** Marks trusted markup (an SVG the renderer escaped itself, say). */
export function trusted(markup: string): Html {
  return { html: markup };
}

/** Escapes text for element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function piece(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(piece).join('');
  if (typeof value === 'object' && 'html' in value) return String((value as Html).html);
  return escapeHtml(String(value));
}

/**
 * `html\`<p>${text}</p>\``: strings, numbers and arrays are escaped; {@link Html} values are
 * inserted as they are; null, undefined and false insert nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? '');
  });
  return { html: out };
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no `</script>` can close it. */
export function jsonScript(id: string, value: unknown): Html {
  const text = JSON.stringify(value ?? null).replace(/</g, '\\u003c');
  return trusted(`<script type="application/json" id="${escapeHtml(id)}">${text}</script>`);
}

/** Pretty JSON in a `<pre>`, or a dash for nothing. */
export function jsonBlock(value: unknown): Html {
  if (value === undefined) return html`<p class="muted">—</p>`;
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}
