/** The status palette as CSS rules keyed on `data-status`, for SVG files and the console alike. */
import { STATUS_PALETTE, type StatusStyle, UNKNOWN_STATUS_STYLE } from '../../lambdas/graph/index.ts';

/**
 * One rule pair per palette entry (`[data-status="x"] rect` and its text); nodes with a status
 * the palette lacks get the unknown style first, so they are still drawn.
 *
 * @param scope - selector of the node element @default '.sf-node'
 */
export function paletteCss(scope = '.sf-node'): string {
  const rules = [rule(`${scope}`, UNKNOWN_STATUS_STYLE)];
  for (const [status, style] of Object.entries(STATUS_PALETTE)) {
    rules.push(rule(`${scope}[data-status="${status}"]`, style));
  }
  return rules.join('\n');
}

function rule(selector: string, style: StatusStyle): string {
  const dash = style.dashed ? 'stroke-dasharray:5 3' : 'stroke-dasharray:none';
  return `${selector} rect{fill:${style.fill};stroke:${style.stroke};${dash}}\n${selector} text{fill:${style.text}}`;
}
