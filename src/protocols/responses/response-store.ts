import { StationError } from "../../errors/station-error.ts";
import type { StationDatabase } from "../../storage/database.ts";
import { CompiledQuery } from "../../storage/kysely.ts";
import type { ResponseItem } from "./response-items.ts";

export interface StoredResponse {
  id: string;
  previousResponseId: string | null;
  inputItems: ResponseItem[];
  response: Record<string, unknown> & { output: ResponseItem[] };
}

/** Batch sizes whose compiled insert is kept: building and compiling it through Kysely cost more than SQLite's insert. */
const cachedBatchSizes = 32;

/** How many earlier responses a `previous_response_id` chain may reach back (a loop guard). */
const maxChainLength = 1000;

interface ResponseRow {
  id: string;
  previous_response_id: string | null;
  input_items: string;
  response: string;
  created_at: number;
}

/**
 * Stored responses (`store: true`, the default) in Station's database, through Kysely.
 * Saves made in the same turn of the event loop go in as one multi-row insert (one transaction):
 * under concurrency a commit per response was most of a stored response's CPU. Each save still
 * resolves only once its row is committed, so a reply sent after it can be read back at once.
 */
/** OpenAI's 404 for a response id nobody holds. */
export function responseNotFound(id: string, param?: string): StationError {
  return new StationError({ code: "response_not_found", status: 404, param, message: `Response with id '${id}' not found.` });
}

export class ResponseStore {
  private readonly db: StationDatabase;
  private readonly pending = new Map<string, ResponseRow>();
  private batch: Promise<void> | undefined;
  private readonly compiledInserts = new Map<number, string>();

  constructor(database: StationDatabase) {
    this.db = database;
  }

  /** `responseJson`: the response already serialized, where the caller has it (then `stored.response` is not needed). */
  save(stored: StoredResponse, responseJson?: string): Promise<void>;
  save(stored: Omit<StoredResponse, "response">, responseJson: string): Promise<void>;
  save(stored: Omit<StoredResponse, "response"> & { response?: StoredResponse["response"] }, responseJson?: string): Promise<void> {
    const response = responseJson ?? JSON.stringify(stored.response);
    const waiting = this.pending.get(stored.id);
    // A second save of the same id before the first is written only replaces the response, as the upsert does.
    if (waiting !== undefined) waiting.response = response;
    else {
      this.pending.set(stored.id, {
        id: stored.id,
        previous_response_id: stored.previousResponseId,
        input_items: JSON.stringify(stored.inputItems),
        response,
        created_at: Date.now(),
      });
    }
    this.batch ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.writePending());
    return this.batch;
  }

  private async writePending(): Promise<void> {
    const rows = [...this.pending.values()];
    this.pending.clear();
    this.batch = undefined;
    let sqlText = this.compiledInserts.get(rows.length);
    if (sqlText === undefined) {
      sqlText = this.insert(rows).compile().sql;
      if (rows.length <= cachedBatchSizes) this.compiledInserts.set(rows.length, sqlText);
    }
    // The parameters in the order the compiled insert takes them: row by row, columns as in ResponseRow.
    const parameters = rows.flatMap((row) => [row.id, row.previous_response_id, row.input_items, row.response, row.created_at]);
    await this.db.executeQuery(CompiledQuery.raw(sqlText, parameters));
  }

  private insert(rows: ResponseRow[]) {
    return this.db
      .insertInto("responses")
      .values(rows)
      .onConflict((conflict) => conflict.column("id").doUpdateSet((update) => ({ response: update.ref("excluded.response") })));
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
    if (stored === undefined) throw responseNotFound(id, param);
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
