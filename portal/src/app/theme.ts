import { createTheme, darken, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 8: white on a filled button reaches WCAG AA's 4.5:1 (indigo 6, Mantine's default, does not).
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SF Mono", Menlo, Consolas, monospace',
  // Who asks the system for less motion gets no transitions (and tests see no half-faded text).
  respectReducedMotion: true,
  components: {
    // Mantine's close buttons have no name of their own: a screen reader would say only "button".
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
    Notification: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
    // A table wider than a phone scrolls sideways: keyboard users can scroll it too.
    TableScrollContainer: { defaultProps: { scrollAreaProps: { viewportProps: { tabIndex: 0 } } } },
  },
});

/**
 * Mantine's dimmed grey and the text of its light badges and subtle buttons fall short of 4.5:1
 * on small text (axe's color-contrast): darker here, in both schemes.
 */
export const contrast: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': t.colors.gray[7]!,
    ...Object.fromEntries(Object.entries(t.colors).map(([name, shades]) => [`--mantine-color-${name}-light-color`, darken(shades[9]!, 0.3)])),
  },
  dark: { '--mantine-color-dimmed': t.colors.dark[1]! },
});
