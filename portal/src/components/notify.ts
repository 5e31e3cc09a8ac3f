import { notifications } from '@mantine/notifications';

/** notifyError shows the API's refusal, which names the field and the fix. */
export function notifyError(err: Error): void {
  notifications.show({ color: 'red', title: 'Refused', message: err.message, autoClose: 10_000 });
}

export function notifyDone(message: string): void {
  notifications.show({ color: 'green', message, autoClose: 4000 });
}
