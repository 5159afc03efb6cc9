import type { ArmResult } from "../azure";
import { UNSET_SUBSCRIPTION_ID, type PlatformSpec } from "../spec";
import { SUBSCRIPTION_SETTING } from "./index";

/**
 * Whether a build can start at all: its subscription must be one ARM knows. ARM answers a subscription it does not
 * know (or the all-zero placeholder of a spec that names none) with 404 `SubscriptionNotFound`, "The subscription
 * '…' could not be found." (e.g. microsoft/startstopv2-deployments#5); that is permanent, so the build is refused
 * before it starts instead of retrying it. Any other answer lets the build start and handle it.
 */
export async function buildStartProblem(
  spec: PlatformSpec,
  listResourceGroups: () => Promise<ArmResult<unknown>>,
): Promise<string | undefined> {
  let answer: ArmResult<unknown>;
  try {
    answer = await listResourceGroups();
  } catch {
    // Transient (throttled, unavailable): the build's own retries deal with it.
    return undefined;
  }
  if (answer.ok || !/^(SubscriptionNotFound|InvalidSubscriptionId)$/i.test(answer.error.code)) return undefined;
  // Only the code: the SDK's pager replaces ARM's message with its own ("Pagination failed …").
  if (spec.subscriptionId === UNSET_SUBSCRIPTION_ID)
    return `no subscription: the spec of ${spec.name} names none and ${SUBSCRIPTION_SETTING} is not set (ARM: ${answer.error.code})`;
  return `subscription ${spec.subscriptionId} is unknown to ARM (${answer.error.code})`;
}
