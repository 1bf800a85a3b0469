/**
 * HTML escaping for everything in the report that comes from a run folder (captions, config
 * values, warnings, file names): the report is opened in a browser, so a caption like
 * `<script>` must show as text, never run.
 */

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for element content and for quoted attribute values (both quote kinds). */
export function escapeHtml(value: unknown): string {
  const s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
