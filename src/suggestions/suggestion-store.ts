import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import { errors } from "../errors/errors.ts";
import type { StationDatabase } from "../storage/database.ts";
import type { SuggestionsTable } from "../storage/station-tables.ts";

/** A prompt suggestion shown on an empty chat ("Summarise this file", ...). */
export interface Suggestion {
  id: string;
  /** null: shown to every client. */
  client_id: string | null;
  title: string | null;
  content: string;
  created_at: number;
  updated_at: number;
}

export interface SuggestionStore {
  /** Global suggestions plus, with a client id, that client's own; oldest first. */
  list(clientId?: string): Promise<Suggestion[]>;
  create(input: { content: string; title?: string | null | undefined; client_id?: string | null | undefined }): Promise<Suggestion>;
  update(id: string, patch: { content?: string | undefined; title?: string | null | undefined }): Promise<Suggestion>;
  delete(id: string): Promise<Suggestion>;
}

export function createSuggestionStore(db: StationDatabase, clock: () => number = Date.now): SuggestionStore {
  const find = async (id: string): Promise<Suggestion> => {
    const row = await db.selectFrom("suggestions").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) throw errors.notFound("Suggestion", id, "suggestion_not_found");
    return toSuggestion(row);
  };
  return {
    async list(clientId) {
      let query = db.selectFrom("suggestions").selectAll().orderBy("seq");
      query =
        clientId === undefined
          ? query.where("client_id", "is", null)
          : query.where((eb) => eb.or([eb("client_id", "is", null), eb("client_id", "=", clientId)]));
      return (await query.execute()).map(toSuggestion);
    },
    async create(input) {
      const now = clock();
      const id = randomUUID();
      await db
        .insertInto("suggestions")
        .values({
          id,
          client_id: input.client_id ?? null,
          title: input.title ?? null,
          content: input.content,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return find(id);
    },
    async update(id, patch) {
      await find(id);
      await db
        .updateTable("suggestions")
        .set({
          ...(patch.content === undefined ? {} : { content: patch.content }),
          ...(patch.title === undefined ? {} : { title: patch.title }),
          updated_at: clock(),
        })
        .where("id", "=", id)
        .execute();
      return find(id);
    },
    async delete(id) {
      const suggestion = await find(id);
      await db.deleteFrom("suggestions").where("id", "=", id).execute();
      return suggestion;
    },
  };
}

function toSuggestion(row: Selectable<SuggestionsTable>): Suggestion {
  return {
    id: row.id,
    client_id: row.client_id,
    title: row.title,
    content: row.content,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
