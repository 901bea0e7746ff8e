import type { Selectable, Transaction } from "kysely";
import { z } from "zod";
import { errors } from "../errors/errors.ts";
import type { StationDatabase } from "../storage/database.ts";
import type { ClientPresetsTable, StationTables } from "../storage/station-tables.ts";
import {
  type ClientSettings,
  clientSettingsSchemas,
  defaultSettings,
  type SettingsSection,
  settingsSections,
} from "./client-settings-schemas.ts";

export interface Preset {
  index: number;
  name: string;
  description: string | null;
  settings: ClientSettings;
  active: boolean;
  created_at: number;
}

export interface ClientState extends ClientSettings {
  client_id: string;
  active_preset: string | null;
  presets: string[];
}

/** Per-client settings and presets. Unknown clients read as the defaults; the first write creates them. */
export interface ClientStore {
  get(clientId: string): Promise<ClientState>;
  getSection<S extends SettingsSection>(clientId: string, section: S): Promise<ClientSettings[S]>;
  /** Merges `patch` into the section; the whole result is validated (400 and nothing written on bad input). */
  putSection<S extends SettingsSection>(clientId: string, section: S, patch: unknown): Promise<ClientSettings[S]>;
  resetSection<S extends SettingsSection>(clientId: string, section: S): Promise<ClientSettings[S]>;
  listPresets(clientId: string): Promise<Preset[]>;
  /** Snapshots the client's current settings under `name` (409 if taken). */
  createPreset(clientId: string, name: string, description?: string): Promise<Preset>;
  getPreset(clientId: string, name: string): Promise<Preset>;
  /** Copies the preset's settings into the client's own sections (the active preset is left as it is). */
  applyPreset(clientId: string, name: string): Promise<ClientState>;
  /** While a preset is active, chat turns use its LLM settings instead of the client's own; null clears it. */
  setActivePreset(clientId: string, name: string | null): Promise<ClientState>;
  deletePresetAt(clientId: string, index: number): Promise<Preset>;
  /** The LLM settings a chat turn uses: the client's, overlaid by the named preset or else the active one. */
  effectiveLlm(clientId: string, presetName?: string): Promise<ClientSettings["llm"]>;
}

export function createClientStore(db: StationDatabase, clock: () => number = Date.now): ClientStore {
  const readSettings = async (executor: StationDatabase | Transaction<StationTables>, clientId: string): Promise<ClientSettings> => {
    const settings = defaultSettings();
    const rows = await executor.selectFrom("client_settings").selectAll().where("client_id", "=", clientId).execute();
    for (const row of rows) {
      const section = row.section as SettingsSection;
      if (!settingsSections.includes(section)) continue;
      // Parse through the schema so rows written by older versions gain new defaults.
      const parsed = clientSettingsSchemas[section].safeParse(JSON.parse(row.data));
      if (parsed.success) (settings as unknown as Record<string, unknown>)[section] = parsed.data;
    }
    return settings;
  };

  const touchClient = async (executor: StationDatabase | Transaction<StationTables>, clientId: string, activePreset?: string | null) => {
    const now = clock();
    await executor
      .insertInto("clients")
      .values({ client_id: clientId, active_preset: activePreset ?? null, created_at: now, updated_at: now })
      .onConflict((conflict) =>
        conflict
          .column("client_id")
          .doUpdateSet(activePreset === undefined ? { updated_at: now } : { updated_at: now, active_preset: activePreset }),
      )
      .execute();
  };

  const writeSection = async (
    executor: StationDatabase | Transaction<StationTables>,
    clientId: string,
    section: SettingsSection,
    value: unknown,
  ) => {
    const data = JSON.stringify(value);
    const now = clock();
    await executor
      .insertInto("client_settings")
      .values({ client_id: clientId, section, data, updated_at: now })
      .onConflict((conflict) => conflict.columns(["client_id", "section"]).doUpdateSet({ data, updated_at: now }))
      .execute();
  };

  const activePresetOf = async (clientId: string): Promise<string | null> => {
    const row = await db.selectFrom("clients").select("active_preset").where("client_id", "=", clientId).executeTakeFirst();
    return row?.active_preset ?? null;
  };

  const presetRows = (clientId: string) =>
    db.selectFrom("client_presets").selectAll().where("client_id", "=", clientId).orderBy("seq").execute();

  const toPreset = (row: Selectable<ClientPresetsTable>, index: number, active: string | null): Preset => {
    const stored = JSON.parse(row.data) as Partial<ClientSettings>;
    const settings = defaultSettings();
    for (const section of settingsSections) {
      const parsed = clientSettingsSchemas[section].safeParse(stored[section] ?? {});
      if (parsed.success) (settings as unknown as Record<string, unknown>)[section] = parsed.data;
    }
    return { index, name: row.name, description: row.description, settings, active: row.name === active, created_at: row.created_at };
  };

  const store: ClientStore = {
    async get(clientId) {
      const [settings, active, presets] = await Promise.all([readSettings(db, clientId), activePresetOf(clientId), presetRows(clientId)]);
      return { client_id: clientId, ...settings, active_preset: active, presets: presets.map((row) => row.name) };
    },
    async getSection(clientId, section) {
      return (await readSettings(db, clientId))[section];
    },
    async putSection(clientId, section, patch) {
      if (patch === null || typeof patch !== "object" || Array.isArray(patch))
        throw errors.invalidRequest(`The ${section} settings must be a JSON object`);
      const current = (await readSettings(db, clientId))[section];
      const parsed = clientSettingsSchemas[section].safeParse({ ...current, ...patch });
      if (!parsed.success)
        throw errors.invalidRequest(`Invalid ${section} settings: ${z.prettifyError(parsed.error)}`, firstPath(parsed.error));
      await db.transaction().execute(async (trx) => {
        await touchClient(trx, clientId);
        await writeSection(trx, clientId, section, parsed.data);
      });
      return parsed.data as ClientSettings[typeof section];
    },
    async resetSection(clientId, section) {
      const value = defaultSettings()[section];
      await db.transaction().execute(async (trx) => {
        await touchClient(trx, clientId);
        await writeSection(trx, clientId, section, value);
      });
      return value;
    },
    async listPresets(clientId) {
      const [rows, active] = await Promise.all([presetRows(clientId), activePresetOf(clientId)]);
      return rows.map((row, index) => toPreset(row, index, active));
    },
    async createPreset(clientId, name, description) {
      const settings = await readSettings(db, clientId);
      const existing = await db
        .selectFrom("client_presets")
        .select("seq")
        .where("client_id", "=", clientId)
        .where("name", "=", name)
        .executeTakeFirst();
      if (existing !== undefined) throw errors.conflict(`Client '${clientId}' already has a preset named '${name}'`);
      await db.transaction().execute(async (trx) => {
        await touchClient(trx, clientId);
        await trx
          .insertInto("client_presets")
          .values({
            client_id: clientId,
            name,
            description: description ?? null,
            data: JSON.stringify(settings),
            created_at: clock(),
          })
          .execute();
      });
      return store.getPreset(clientId, name);
    },
    async getPreset(clientId, name) {
      const preset = (await store.listPresets(clientId)).find((candidate) => candidate.name === name);
      if (preset === undefined) throw errors.notFound("Preset", name, "preset_not_found");
      return preset;
    },
    async applyPreset(clientId, name) {
      const preset = await store.getPreset(clientId, name);
      await db.transaction().execute(async (trx) => {
        await touchClient(trx, clientId);
        for (const section of settingsSections) await writeSection(trx, clientId, section, preset.settings[section]);
      });
      return store.get(clientId);
    },
    async setActivePreset(clientId, name) {
      if (name !== null) await store.getPreset(clientId, name);
      await touchClient(db, clientId, name);
      return store.get(clientId);
    },
    async deletePresetAt(clientId, index) {
      const presets = await store.listPresets(clientId);
      const preset = presets[index];
      if (preset === undefined) throw errors.notFound("Preset index", String(index), "preset_not_found");
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("client_presets").where("client_id", "=", clientId).where("name", "=", preset.name).execute();
        if (preset.active) await touchClient(trx, clientId, null);
      });
      return preset;
    },
    async effectiveLlm(clientId, presetName) {
      const settings = await readSettings(db, clientId);
      const overlayName = presetName ?? (await activePresetOf(clientId));
      if (overlayName === null) return settings.llm;
      const preset = (await store.listPresets(clientId)).find((candidate) => candidate.name === overlayName);
      if (preset === undefined) {
        if (presetName !== undefined) throw errors.notFound("Preset", presetName, "preset_not_found");
        return settings.llm;
      }
      return preset.settings.llm;
    },
  };
  return store;
}

function firstPath(error: z.ZodError): string | undefined {
  const path = error.issues[0]?.path;
  return path === undefined || path.length === 0 ? undefined : path.join(".");
}
