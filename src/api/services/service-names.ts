// Names for services created without one, in Docker's adjective_surname style.

import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'admiring', 'brave', 'busy', 'clever', 'dazzling', 'eager', 'elated', 'festive', 'focused', 'gallant',
  'happy', 'jolly', 'keen', 'loving', 'modest', 'nifty', 'optimistic', 'peaceful', 'quirky', 'relaxed',
  'serene', 'sharp', 'stoic', 'tender', 'upbeat', 'vibrant', 'wizardly', 'youthful', 'zealous', 'zen',
];

const SURNAMES = [
  'albattani', 'babbage', 'bohr', 'curie', 'darwin', 'einstein', 'euler', 'fermat', 'feynman', 'galileo',
  'hamilton', 'hopper', 'hypatia', 'kepler', 'lamport', 'lovelace', 'meitner', 'newton', 'noether', 'pasteur',
  'ritchie', 'shannon', 'thompson', 'tesla', 'turing', 'wilson', 'wozniak', 'yalow', 'zhukovsky', 'goldberg',
];

/** randomServiceName returns a name for which `taken` is false. */
export function randomServiceName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    // Like Docker's generator, retries add digits so that the name space never runs out.
    const suffix = attempt < 3 ? '' : String(randomInt(1_000_000));
    const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}${suffix}`;
    if (!taken(name)) return name;
  }
}
