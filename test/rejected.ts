// A rejected domain call as a client would see it: the named error, and the status and code onError
// answers it with (src/lib/app.ts). Tests assert all three, so neither the class nor the HTTP contract
// can drift.
import { DomainError } from "../src/errors";
import { statusOf } from "../src/lib/app";

export async function rejected(p: Promise<unknown>): Promise<{ err: DomainError; status: number; code: string }> {
  const err = await p.then(
    () => {
      throw new Error("expected a rejection, got a result");
    },
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw err;
  return { err, status: statusOf(err), code: err.code };
}
