import { AksAdapter } from "../../../lib/azure";
import { Activities } from "../../../lib/function-names";
import { lookupIstioRevisionInputSchema, type LookupIstioRevisionInput } from "../contracts";
import { registerActivity } from "../../shared/boundary";
import { armConnection } from "../../shared/arm";

/** The newest Istio add-on revision the region offers (an unsupported revision is rejected by AKS). */
export async function lookupIstioRevision(input: LookupIstioRevisionInput, signal: AbortSignal): Promise<string> {
  const result = await new AksAdapter(armConnection(), input.subscriptionId).istioRevisions(input.location, {
    abortSignal: signal,
  });
  if (!result.ok) {
    throw new Error(
      `could not look up the Istio revisions of ${input.location}: ${result.error.code}: ${result.error.message}; ` +
        "set istio.revision in the spec to skip the lookup",
    );
  }
  const revisions = result.value.map((r) => r.revision).filter((r) => /^asm-\d+-\d+$/.test(r));
  const newest = revisions.sort((a, b) => revisionNumber(a) - revisionNumber(b)).at(-1);
  if (newest === undefined) throw new Error(`region ${input.location} offers no Istio add-on revision`);
  return newest;
}

function revisionNumber(revision: string): number {
  const [, major, minor] = /^asm-(\d+)-(\d+)$/.exec(revision)!;
  return Number(major) * 1000 + Number(minor);
}

registerActivity(Activities.lookupIstioRevision, lookupIstioRevisionInputSchema, (input, signal) =>
  lookupIstioRevision(input, signal),
);
