import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import { eventually, type WebhookReceiver } from "./webhook-receiver.ts";

/**
 * Waits until every job has a delivery the receiver answered 200, then checks all of each job's
 * deliveries (retries and duplicates included): one webhook-id, `msg_<job id>`, and every one
 * signed with `secret` and saying the job completed.
 */
export async function expectCompletedDeliveries(
  receiver: WebhookReceiver,
  secret: string,
  jobIds: string[],
  timeoutMs: number,
): Promise<void> {
  await eventually(
    () => jobIds.every((id) => receiver.deliveries.some((delivery) => delivery.status === 200 && delivery.body.includes(id))),
    timeoutMs,
  );
  const verifier = new Webhook(secret);
  for (const id of jobIds) {
    const deliveries = receiver.deliveries.filter((delivery) => delivery.body.includes(id));
    expect(new Set(deliveries.map((delivery) => delivery.headers["webhook-id"]))).toEqual(new Set([`msg_${id}`]));
    for (const delivery of deliveries) {
      const payload = verifier.verify(delivery.body, delivery.headers as Record<string, string>) as { job_id: string; status: string };
      expect(payload).toMatchObject({ job_id: id, status: "completed" });
    }
  }
}
