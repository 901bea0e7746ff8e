/** A caption job as GET /caption/job/:id shows it (the fields the tests read). */
export interface CaptionJobView {
  status: string;
  result?: { caption: string; model: string };
}

/**
 * Submits a caption job (POST /caption/generate) and polls it every 50 ms until it leaves
 * queued and running, for at most `attempts` polls (a slow local model needs more).
 */
export async function runCaptionJob(stationUrl: string, body: Record<string, unknown>, attempts = 200): Promise<CaptionJobView> {
  const accepted = (await (
    await fetch(`${stationUrl}/caption/generate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    })
  ).json()) as { job_id: string };
  let view: CaptionJobView = { status: "queued" };
  for (let attempt = 0; attempt < attempts && (view.status === "queued" || view.status === "running"); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    view = (await (await fetch(`${stationUrl}/caption/job/${accepted.job_id}`)).json()) as CaptionJobView;
  }
  return view;
}
