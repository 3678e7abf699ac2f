import { InvalidArgumentError } from 'commander';

/** A commander option parser for whole numbers of at least 1; the message names the option. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got "${value}"`);
    return n;
  };
}
