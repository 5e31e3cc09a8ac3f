// Long lists page (?page=, ?size= in the URL, so a page is a link): a thousand rows of rich
// components cost the browser most of a second to build; fifty do not.

import { Group, Pagination, Select, Text } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useUrlState } from './url';

const SIZES = ['25', '50', '100', '500'];
const DEFAULT_SIZE = 50;

export function usePage<T>(items: readonly T[]): { rows: T[]; page: number; pages: number; size: number } {
  const [params] = useSearchParams();
  const size = SIZES.includes(params.get('size') ?? '') ? Number(params.get('size')) : DEFAULT_SIZE;
  const pages = Math.max(1, Math.ceil(items.length / size));
  const page = Math.min(Math.max(1, Number(params.get('page')) || 1), pages);
  return { rows: items.slice((page - 1) * size, page * size), page, pages, size };
}

export function Pager({ page, pages, size, total }: { page: number; pages: number; size: number; total: number }) {
  const [, set] = useUrlState({ page: '1', size: String(DEFAULT_SIZE) });
  if (total <= DEFAULT_SIZE && size === DEFAULT_SIZE) return null;
  return (
    <Group justify="space-between" gap="xs">
      <Pagination total={pages} value={page} onChange={(n) => set('page', String(n))} size="sm" aria-label="Pages" getControlProps={(control) => ({ 'aria-label': `${control} page` })} getItemProps={(n) => ({ 'aria-label': `Page ${n}` })} />
      <Group gap="xs">
        <Text size="sm" id="rows-per-page">
          Rows per page
        </Text>
        <Select aria-labelledby="rows-per-page" data={SIZES} value={String(size)} onChange={(v) => set('size', v)} w={90} size="xs" allowDeselect={false} />
      </Group>
    </Group>
  );
}
