// Page state in the URL (every filter and tab is a link). One setter for all pages: an empty
// value (or the page's default) leaves the key out, and a new filter starts at the first page.

import { useSearchParams } from 'react-router';

export type SetParam = (key: string, value: string | null | undefined) => void;

export function useUrlState(defaults: Record<string, string> = {}): [URLSearchParams, SetParam] {
  const [params, setParams] = useSearchParams();
  const set: SetParam = (key, value) =>
    setParams(
      (p) => {
        if (key !== 'page') p.delete('page');
        if (value && value !== defaults[key]) p.set(key, value);
        else p.delete(key);
        return p;
      },
      { replace: true },
    );
  return [params, set];
}
