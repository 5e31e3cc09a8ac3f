import { notifications } from '@mantine/notifications';

// A button needs a name for screen readers (axe: button-name); Mantine's close button has none.
const CLOSE = { 'aria-label': 'Close' };

/** notifyError shows the API's refusal, which names the field and the fix. */
export function notifyError(err: Error): void {
  notifications.show({ color: 'red', title: 'Refused', message: err.message, autoClose: 10_000, closeButtonProps: CLOSE });
}

export function notifyDone(message: string): void {
  notifications.show({ color: 'green', message, autoClose: 4000, closeButtonProps: CLOSE });
}
