import type { StationDatabase } from "../../storage/database.ts";

/** `/api/copy` aliases (alias → Station id) in Station's database, through Kysely. */
export class ModelAliasStore {
  private readonly db: StationDatabase;

  constructor(database: StationDatabase) {
    this.db = database;
  }

  async all(): Promise<[string, string][]> {
    const rows = await this.db.selectFrom("model_aliases").select(["alias", "model_id"]).orderBy("created_at").orderBy("alias").execute();
    return rows.map((row) => [row.alias, row.model_id]);
  }

  async put(alias: string, modelId: string): Promise<void> {
    await this.db
      .insertInto("model_aliases")
      .values({ alias, model_id: modelId, created_at: Date.now() })
      .onConflict((conflict) => conflict.column("alias").doUpdateSet({ model_id: modelId }))
      .execute();
  }

  /** True when there was such an alias. */
  async delete(alias: string): Promise<boolean> {
    const result = await this.db.deleteFrom("model_aliases").where("alias", "=", alias).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
