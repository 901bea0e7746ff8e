import { StationError } from "../../errors/station-error.ts";
import type { StationDatabase } from "../../storage/database.ts";
import type { ResponseItem } from "./response-items.ts";

export interface StoredResponse {
  id: string;
  previousResponseId: string | null;
  inputItems: ResponseItem[];
  response: Record<string, unknown> & { output: ResponseItem[] };
}

/** How many earlier responses a `previous_response_id` chain may reach back (a loop guard). */
const maxChainLength = 1000;

/** Stored responses (`store: true`, the default) in Station's database, through Kysely. */
export class ResponseStore {
  private readonly db: StationDatabase;

  constructor(database: StationDatabase) {
    this.db = database;
  }

  async save(stored: StoredResponse): Promise<void> {
    const row = {
      id: stored.id,
      previous_response_id: stored.previousResponseId,
      input_items: JSON.stringify(stored.inputItems),
      response: JSON.stringify(stored.response),
      created_at: Date.now(),
    };
    await this.db
      .insertInto("responses")
      .values(row)
      .onConflict((conflict) => conflict.column("id").doUpdateSet({ response: row.response }))
      .execute();
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const row = await this.db.selectFrom("responses").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      id: row.id,
      previousResponseId: row.previous_response_id,
      inputItems: JSON.parse(row.input_items) as ResponseItem[],
      response: JSON.parse(row.response) as StoredResponse["response"],
    };
  }

  async require(id: string, param?: string): Promise<StoredResponse> {
    const stored = await this.get(id);
    if (stored === undefined) {
      throw new StationError({ code: "response_not_found", status: 404, param, message: `Response with id '${id}' not found.` });
    }
    return stored;
  }

  /** Deletes one response; true if it existed. Later responses that point at it keep their own items. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("responses").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Every item of a conversation up to and including `id`, oldest first (inputs then outputs per response). */
  async history(id: string): Promise<ResponseItem[]> {
    const chain: StoredResponse[] = [];
    let next: string | null = id;
    while (next !== null && chain.length < maxChainLength) {
      const stored: StoredResponse = await this.require(next, chain.length === 0 ? "previous_response_id" : undefined);
      chain.unshift(stored);
      next = stored.previousResponseId;
    }
    return chain.flatMap((stored) => [...stored.inputItems, ...stored.response.output]);
  }
}
