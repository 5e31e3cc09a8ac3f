import { createContext, useContext } from 'react';
import type { Whoami } from '../api/types';
import { can, type Owned, type Right } from '../api/access';

export const WhoContext = createContext<Whoami | undefined>(undefined);

export function useWho(): Whoami {
  const who = useContext(WhoContext);
  if (!who) throw new Error('useWho outside the signed-in shell');
  return who;
}

/** useCan says whether the signed-in user may do this (to this object): pages leave out what they may not. */
export function useCan(right: Right, owned?: Owned): boolean {
  return can(useContext(WhoContext), right, owned);
}
