import type { EventClassifier } from "./classify";
import type { DeliveryProblem } from "./envelope";
import { parseDelivery } from "./envelope";
import type { DomainEvent } from "./types";

export type ClassifiedItem =
  { index: number; ok: true; event: DomainEvent } | { index: number; ok: false; error: string };

/** A delivery body classified event by event, or the reason the body as a whole is unusable. */
export type ClassifiedDelivery =
  { ok: true; batch: boolean; items: ClassifiedItem[] } | { ok: false; problem: DeliveryProblem };

/** Parses and classifies one delivery body (a single event, a batch, or an Azure Monitor alert payload). */
export async function classifyDelivery(
  body: string | Uint8Array,
  classifier: Pick<EventClassifier, "classify">,
): Promise<ClassifiedDelivery> {
  const parsed = await parseDelivery(body);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    batch: parsed.batch,
    items: parsed.items.map((item) =>
      item.ok
        ? { index: item.index, ok: true, event: classifier.classify(item.envelope) }
        : { index: item.index, ok: false, error: item.error },
    ),
  };
}
