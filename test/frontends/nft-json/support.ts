// Helpers shared by the nft-JSON front end's tests.
import { expect } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { NftlensError, type Diagnostic } from '../../../src/model/diagnostics.js';

/** The diagnostics of an input the front end must refuse (fails the test when it is accepted). */
export function fails(input: Parameters<typeof importNftJson>[0], file = 'bad.json'): Diagnostic[] {
  try {
    importNftJson(input, file);
  } catch (e) {
    expect(e).toBeInstanceOf(NftlensError);
    return (e as NftlensError).diagnostics;
  }
  throw new Error('expected an NftlensError');
}
