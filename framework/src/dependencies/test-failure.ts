/**
 * The error a call must fail with in the dependencies tests: a {@link CnbError}, which is what
 * a user sees as one line. The archive and download tests each wrote this helper.
 */
import { expect } from "vitest";
import { CnbError } from "../errors/index.js";

/** Awaits `p`, expects it to reject with a CnbError, and returns that error for a closer look. */
export async function cnbFailure(p: Promise<unknown>): Promise<CnbError> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(CnbError);
  return err as CnbError;
}
