import { createTheme, darken, Modal, Notification, type CSSVariablesResolver } from '@mantine/core';

// Text meets WCAG AA (4.5:1), which axe-core checks on every page: filled colors at shade 8 with
// black or white text, whichever contrasts (luminance above 0.19 takes black: cyan, teal,
// green and orange do), and, below, dimmed text and light variants (badges, alerts, the active
// navigation link) darker than Mantine's defaults in the light scheme. Close buttons have names.
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  luminanceThreshold: 0.19,
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SF Mono", Menlo, Consolas, monospace',
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Dismiss' } } }),
  },
});

export const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    ...Object.fromEntries(Object.entries(t.colors).map(([name, shades]) => [`--mantine-color-${name}-light-color`, darken(shades[9], 0.4)])),
  },
  dark: {},
});
