import { Alert } from '@mantine/core';

/** Refused shows the API's refusal of a form (its message names the field and the fix); nothing without one. */
export function Refused({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <Alert color="red" role="alert" title="Refused">
      {message}
    </Alert>
  );
}
