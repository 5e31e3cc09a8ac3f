// The confirmation every removal and risky change asks for, and the one-time display of a secret
// the API shows once (a token, the unlock key) with a copy button.

import type { ReactNode } from 'react';
import { Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';

export function Confirm({ title, opened, busy, confirmLabel, color = 'red', onConfirm, onClose, children }: {
  title: string;
  opened: boolean;
  busy?: boolean;
  confirmLabel: string;
  color?: string;
  onConfirm: () => void;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack>
        {children}
        <Group justify="end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={color} loading={busy} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function ShownOnce({ title, value, warning, onClose }: { title: string; value: string | undefined; warning: ReactNode; onClose: () => void }) {
  return (
    <Modal opened={value !== undefined} onClose={onClose} title={title} size="lg">
      <Stack>
        <Text size="sm">{warning}</Text>
        <Code block className="mono" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="shown-once">
          {value}
        </Code>
        <Group justify="end">
          <CopyButton value={value ?? ''}>
            {({ copied, copy }) => (
              <Button variant={copied ? 'light' : 'filled'} color={copied ? 'teal' : undefined} onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
          <Button variant="default" onClick={onClose}>
            Done
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
