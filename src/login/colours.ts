// Brand colours on the login pages. A tenant's colours reach CSS only as validated hex values, and the page
// derives from them the text and link colours that keep WCAG 2.1 AA contrast (1.4.3: 4.5:1 for text).

const DEFAULT_PRIMARY = '#2563eb';
const DEFAULT_PAGE_BACKGROUND = '#f3f4f6';
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

export interface Theme {
  primary: string;
  onPrimary: string;
  link: string;
  pageBackground: string;
}

/** A hex colour (#rgb or #rrggbb) in lower case, or undefined: nothing else is written into CSS. */
export function cssColor(value: unknown): string | undefined {
  if (typeof value !== 'string' || !HEX_COLOR.test(value)) return undefined;
  const hex = value.slice(1).toLowerCase();
  return `#${hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex}`;
}

/** The page's CSS variables from the validated brand colours (cssColor), our defaults where there are none. */
export function themeOf(primary = DEFAULT_PRIMARY, pageBackground = DEFAULT_PAGE_BACKGROUND): Theme {
  return {
    primary,
    // WCAG 2.1 AA: white button text when it reaches 4.5:1, else whichever of white or black contrasts more
    // (one of them always reaches 4.58:1).
    onPrimary:
      contrast(primary, '#ffffff') >= 4.5 || contrast(primary, '#ffffff') >= contrast(primary, '#000000')
        ? '#ffffff'
        : '#000000',
    // Links and focus rings sit on the white card: a light brand colour is darkened until it reaches 4.5:1.
    link: darkenFor(primary, '#ffffff', 4.5),
    pageBackground,
  };
}

function rgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2.1 relative luminance and contrast ratio. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = rgb(hex).map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function darkenFor(color: string, background: string, ratio: number): string {
  for (let step = 0; step <= 20; step++) {
    const shade = `#${rgb(color)
      .map((c) =>
        Math.round(c * (1 - step / 20))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
    if (contrast(shade, background) >= ratio) return shade;
  }
  return '#000000';
}
