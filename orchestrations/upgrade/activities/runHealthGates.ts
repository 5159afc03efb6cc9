import { Activities } from "../../../lib/function-names";
import { evaluateGates, failedGates, GATE_COMMAND, parseKubectlList } from "../../../lib/upgrade";
import { aksFor, retryable } from "./aks";
import { registerActivity } from "../../shared/boundary";
import { runHealthGatesInputSchema, type RunHealthGatesInput, type RunHealthGatesResult } from "../contracts";

/** One kubectl read through AKS run command, judged by the pure gates of lib/upgrade. */
export async function runHealthGates(input: RunHealthGatesInput, signal: AbortSignal): Promise<RunHealthGatesResult> {
  const { cluster } = input;
  const outcome = await aksFor(cluster).runCommand(cluster.resourceGroup, cluster.aksName, GATE_COMMAND, {
    abortSignal: signal,
  });
  if (!outcome.ok) throw retryable(outcome.error);
  if (outcome.value.exitCode !== 0) {
    const evidence = outcome.value.logs.trim().split("\n").slice(0, 5);
    return {
      ok: false,
      results: [{ gate: "nodes-ready", ok: false, summary: `kubectl exited ${outcome.value.exitCode}`, evidence }],
    };
  }
  const results = evaluateGates(parseKubectlList(outcome.value.logs), input.expect);
  return { ok: failedGates(results).length === 0, results };
}

registerActivity(Activities.runHealthGates, runHealthGatesInputSchema, runHealthGates);
