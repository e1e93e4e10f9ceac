import { fitsScreen } from '../lib/gsm7.js';

export interface PageFrame {
  /** Lines under the content on every page (navigation), or none. */
  footer: string[];
  /** The line that offers the next page. */
  more: string;
  /** Screen size in GSM-7 characters. */
  limit: number;
}

const join = (lines: readonly string[]) => lines.join('\n');

/** Cuts a line that cannot fit a page on its own at word boundaries (or mid-word if it must). */
function splitLongLine(line: string, fits: (candidate: string) => boolean): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (fits(candidate)) {
      current = candidate;
      continue;
    }
    if (current !== '') pieces.push(current);
    current = word;
    while (!fits(current) && current.length > 1) {
      let cut = current.length - 1;
      while (cut > 1 && !fits(current.slice(0, cut))) cut--;
      pieces.push(current.slice(0, cut));
      current = current.slice(cut);
    }
  }
  if (current !== '') pieces.push(current);
  return pieces;
}

/**
 * Splits a screen into pages that each fit the limit once encoded; every page but the last
 * ends with the "98" line, every page keeps the footer. One page when everything fits.
 */
export function paginate(lines: readonly string[], frame: PageFrame): string[] {
  const whole = join([...lines, ...frame.footer]);
  if (fitsScreen(whole, frame.limit)) return [whole];

  const pageFits = (content: readonly string[]) => fitsScreen(join([...content, frame.more, ...frame.footer]), frame.limit);
  const pieces = lines.flatMap((line) => (pageFits([line]) ? [line] : splitLongLine(line, (c) => pageFits([c]))));

  const pages: string[][] = [];
  let current: string[] = [];
  for (const piece of pieces) {
    if (current.length > 0 && !pageFits([...current, piece])) {
      pages.push(current);
      current = [];
    }
    current.push(piece);
  }
  pages.push(current);

  // The last page has no "98" line, so it may take back what the previous one had to give up.
  return pages.map((content, i) => join(i < pages.length - 1 ? [...content, frame.more, ...frame.footer] : [...content, ...frame.footer]));
}
