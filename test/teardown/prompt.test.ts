import { describe, expect, it } from "vitest";
import { confirmTeardown } from "../../local/cli/commands/down";

/** `aks-platform down` on a terminal: what it asks before deleting, and that deleting the backups is asked twice. */

function answering(...answers: boolean[]) {
  const asked: string[] = [];
  const ask = (question: string) => {
    asked.push(question);
    return Promise.resolve(answers[asked.length - 1] ?? false);
  };
  return { asked, ask };
}

describe("down's confirmation", () => {
  it("asks once when the backups are kept, saying so", async () => {
    const { asked, ask } = answering(true);
    expect(await confirmTeardown(ask, "k8s-demo", "app2", "(sandbox)", false)).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain("Tear down cluster app2 of k8s-demo (sandbox)?");
    expect(asked[0]).toContain("its backups are kept (protection stopped, recovery points retained");
  });

  it("with --delete-backups asks a second time, and a no to either deletes nothing", async () => {
    const yes = answering(true, true);
    expect(await confirmTeardown(yes.ask, "k8s-demo", "app2", "in subscription s", true)).toBe(true);
    expect(yes.asked).toHaveLength(2);
    expect(yes.asked[0]).toContain("ALL its recovery points are DELETED (it cannot be restored afterwards)");
    expect(yes.asked[1]).toContain("Really delete every recovery point of cluster app2? This cannot be undone");

    const secondNo = answering(true, false);
    expect(await confirmTeardown(secondNo.ask, "k8s-demo", "app2", "(sandbox)", true)).toBe(false);
    const firstNo = answering(false);
    expect(await confirmTeardown(firstNo.ask, "k8s-demo", "app2", "(sandbox)", true)).toBe(false);
    expect(firstNo.asked).toHaveLength(1);
  });
});
