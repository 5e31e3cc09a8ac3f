import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { EventStream } from '../api/events';

export const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // The event stream marks what changed stale; a refetch on focus covers a sleeping laptop.
      staleTime: 60_000,
      // A refusal (4xx) will not change on a retry; a dropped connection may.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
  },
});

export const events = new EventStream(queries);
