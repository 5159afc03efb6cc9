import { DRIFT_REPORT_CONTAINER, DriftReportStore, driftReportSchema, type DriftReport } from "../../../lib/drift";
import { Activities } from "../../../lib/function-names";
import { reportContainer } from "../../backup/activities/writeBackupReport";
import { registerActivity } from "../../shared/boundary";

/** Keeps the report in the app's storage (`drift-reports/<env>/latest.json` and one file per check). */
export async function storeDriftReport(report: DriftReport, signal: AbortSignal): Promise<{ blob: string }> {
  const store = new DriftReportStore(reportContainer(process.env, DRIFT_REPORT_CONTAINER));
  return store.save(report, signal);
}

registerActivity(Activities.storeDriftReport, driftReportSchema, storeDriftReport);
