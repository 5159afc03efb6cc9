import { TaskFailedError, type FailureDetails } from "durable-functions";
import { describe, expect, it } from "vitest";
import { innermostFailure } from "../../orchestrations/restore/rebuildFailure";

// What a restore says of a rebuild that crashed: the first failure, without the wrappers Durable adds at each level.

const level = (errorType: string, errorMessage: string, innerFailure?: FailureDetails): FailureDetails => ({
  errorType,
  errorMessage,
  isNonRetriable: false,
  ...(innerFailure ? { innerFailure } : {}),
  isCausedBy: () => false,
});

describe("innermostFailure", () => {
  it("follows a TaskFailedError's innerFailure chain to the activity that failed past its retries", () => {
    const err = new TaskFailedError(
      level(
        "OrchestrationFailedError",
        "Orchestrator function 'deployUnits' failed: Activity function 'getDeploymentStatus' failed: boom",
        level("Error", "Activity function 'getDeploymentStatus' failed: ARM answered 500 InternalServerError"),
      ),
    );
    expect(innermostFailure(err)).toBe("ARM answered 500 InternalServerError");
  });

  it("drops the local driver's sub-orchestration wrapper and error-type prefixes (a terminated child)", () => {
    const err = new TaskFailedError(
      level("TerminatedError", 'Sub-orchestration "deployUnits" (instance "r:rebuild") terminated: stopped by ops'),
    );
    expect(innermostFailure(err)).toBe("stopped by ops");
  });

  it("reads a plain Error (the host sent Reason/Details, no FailureDetails) and never answers empty", () => {
    expect(innermostFailure(new Error("Orchestrator function 'deployUnits' failed: Error: quota exceeded"))).toBe(
      "quota exceeded",
    );
    expect(innermostFailure(new Error(""))).toBe("no details");
  });
});
