import { createAudioService } from "../audio/create-audio-service.ts";
import { createChatApplication } from "../chat/create-chat-application.ts";
import { createImageReaderForBlindModel } from "../chat/read-images-for-blind-model.ts";
import { createChatCore } from "../chat-core/create-chat-core.ts";
import type { StationConfig } from "../config/schema.ts";
import { createCaptionQueue } from "../jobs/create-caption-queue.ts";
import { loadWebhookSecret } from "../jobs/load-webhook-secret.ts";
import { openQueueBackend } from "../jobs/open-queue-backend.ts";
import { createLogger, type Logger } from "../logging/create-logger.ts";
import type { McpServerDefinition } from "../mcp/mcp-types.ts";
import { createModelRegistry } from "../models/create-model-registry.ts";
import { createProvider } from "../providers/create-provider.ts";
import { noChatModelHint } from "../providers/llamacpp/no-chat-model-hint.ts";
import { createModelResidency, type Resident } from "../providers/residency/model-residency.ts";
import { systemScheduler } from "../providers/residency/scheduler.ts";
import type { Provider } from "../providers/spec/index.ts";
import { configuredSecrets } from "../security/configured-secrets.ts";
import { createSecretRedactor, minimumSecretLength, type SecretRedactor } from "../security/secret-redactor.ts";
import { acquireDataDirLock } from "../storage/acquire-data-dir-lock.ts";
import { migrate } from "../storage/migrate.ts";
import { openStationDatabase } from "../storage/open-station-database.ts";
import { createGatewayMetrics } from "../system/metrics/create-gateway-metrics.ts";
import { createDatabaseBlobStore } from "../uploads/create-database-blob-store.ts";
import { stationVersion } from "../version.ts";
import { createImageIntake } from "../vision/create-image-intake.ts";
import { createVisionService } from "../vision/create-vision-service.ts";
import { noCaptionModelHint } from "../vision/no-caption-model-hint.ts";
import { createSurfaceServices } from "./create-surface-services.ts";
import type { HealthReport, Station } from "./station.ts";

export interface CreateStationOptions {
  logger?: Logger;
  /** Extra, already-built providers (tests inject fakes here), added after the configured ones. */
  providers?: Provider[];
  /** Run the caption/webhook workers in this process (default true; one-shot CLI commands turn it off). */
  workers?: boolean;
  /** Extra MCP servers defined in code (tests inject in-memory ones), added after the configured ones. */
  mcpServers?: McpServerDefinition[];
  /** The redactor `logger` was built with (`createLogger(level, destination, redactor)`); default: one from `config`. */
  redactor?: SecretRedactor;
}

export async function createStation(config: StationConfig, options: CreateStationOptions = {}): Promise<Station> {
  const redactor = options.redactor ?? createSecretRedactor(configuredSecrets(config));
  const logger = options.logger ?? createLogger(config.logLevel, undefined, redactor);
  if (redactor.tooShort > 0) {
    logger.warn(
      `${redactor.tooShort} configured secret(s) are shorter than ${minimumSecretLength} characters and cannot be redacted from errors and logs`,
    );
  }
  const runsWorkers = options.workers !== false;
  // Only one process may run workers on a SQLite data dir; holding this lock makes every job
  // still marked running an orphan of a dead process, safe to re-queue right away. Shared
  // backends have no such owner: any number of instances run, each with its own data dir.
  const lock = runsWorkers && config.storage.backend === "sqlite" ? acquireDataDirLock(config.dataDir) : undefined;
  const database = await openStationDatabase(config, logger).catch((error: unknown) => {
    lock?.release();
    throw error;
  });
  await migrate(database);
  // Shared mode: upload bytes in PostgreSQL, so every instance serves every upload.
  const blobs = database.dialect === "postgres" ? createDatabaseBlobStore(database.kysely) : undefined;
  const startedAt = Date.now();
  const closers: (() => Promise<void>)[] = [];
  const residency = createModelResidency<Resident>({
    scheduler: systemScheduler,
    defaultKeepAliveMs: -1,
    memoryBudgetBytes: config.residency.memoryBudgetBytes,
    logger,
  });
  const built = await Promise.all(
    (config.providers ?? []).map(async (providerConfig): Promise<Provider[]> => {
      try {
        return [await createProvider(providerConfig, { config, logger, residency })];
      } catch (error) {
        logger.error({ provider: providerConfig.id, err: error }, "provider disabled");
        return [];
      }
    }),
  );
  const providers = built.flat();
  providers.push(...(options.providers ?? []));
  const metrics = createGatewayMetrics();
  closers.push(async () => metrics.close());
  const registry = createModelRegistry({ providers, logger, config, metrics });
  closers.push(() => registry.close());
  await registry.refresh();
  const intake = createImageIntake({ vision: config.vision, allowPrivateNetworks: config.security.allowPrivateNetworks });
  const vision = createVisionService({ config, registry, intake });
  closers.push(() => vision.close());
  const chatCore = createChatCore({
    registry,
    intake,
    readImagesForBlindModel: createImageReaderForBlindModel(registry, { defaultVisionModel: config.defaults.visionModel }),
    defaultModel: config.defaults.chatModel,
  });
  const webhookSecret = loadWebhookSecret(config.webhooks.secret, config.dataDir, logger);
  redactor.add(webhookSecret);
  redactor.add(webhookSecret.replace(/^whsec_/, ""));
  const audio = createAudioService({ config, registry });
  const queueBackend = await openQueueBackend(config, database).catch(async (error: unknown) => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await database.close();
    lock?.release();
    throw error;
  });
  closers.push(() => queueBackend.close());
  const captionQueue = createCaptionQueue({
    config,
    backend: queueBackend.backend,
    vision,
    webhookSecret,
    logger,
    redactor,
  });
  if (runsWorkers) {
    // With the data-dir lock, jobs marked running are a dead process's: re-queued now. Shared
    // mode has no such owner: BullMQ's stalled check returns a dead instance's jobs instead.
    await captionQueue.start({ recoverOrphans: lock !== undefined });
    await queueBackend.startRecovery(["caption", "webhook"]);
  }
  closers.push(() => captionQueue.stop());
  const startupHint = noChatModelHint(registry.list());
  if (startupHint !== undefined) logger.warn(startupHint);
  const startupVisionHint = noCaptionModelHint(registry.list());
  if (startupVisionHint !== undefined) logger.warn(startupVisionHint);
  const chat = createChatApplication({
    config,
    database: database.kysely,
    // Shared mode: MCP server changes arrive at once through Redis; the 30 s poll only catches an announcement lost while Redis was away.
    ...(queueBackend.sessionLock === undefined ? {} : { sessionLock: queueBackend.sessionLock, mcpSyncIntervalMs: 30_000 }),
    ...(queueBackend.mcpChanges === undefined ? {} : { mcpChanges: queueBackend.mcpChanges }),
    ...(blobs === undefined ? {} : { blobs }),
    registry,
    chatCore,
    intake,
    audio,
    logger,
    version: stationVersion,
    mcpServers: options.mcpServers ?? [],
  });
  closers.push(() => chat.close());
  await chat.start();
  const services = await createSurfaceServices({
    config,
    version: stationVersion,
    startedAt,
    database: database.kysely,
    registry,
    metrics,
    intake,
    audio,
    chat,
    chatCore,
    captionQueue,
    logger,
  });
  closers.push(async () => services.realtime.closeAll());
  let closing: Promise<void> | undefined;

  const station: Station = {
    config,
    logger,
    redactor,
    database,
    version: stationVersion,
    startedAt,
    registry,
    metrics,
    vision,
    audio,
    captionQueue,
    chat,
    chatCore,
    mcp: chat.mcp,
    ...services,
    async backends() {
      const [storage, queue] = await Promise.all([database.health(), queueBackend.health()]);
      return { storage, queue };
    },
    async health(): Promise<HealthReport> {
      const hint = noChatModelHint(registry.list());
      const visionHint = noCaptionModelHint(registry.list());
      const backends = await station.backends();
      const providerReports = registry.providerStatus().map(({ id, type, status, detail }) => ({
        id,
        type,
        status,
        ...(detail === undefined ? {} : { detail }),
      }));
      return {
        status:
          !backends.storage.reachable || !backends.queue.reachable
            ? "unavailable"
            : providerReports.some((provider) => provider.status !== "ok")
              ? "degraded"
              : "ok",
        version: stationVersion,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        activeModels: [
          ...new Set([
            ...registry
              .list()
              .filter((model) => model.state === "loaded")
              .map((model) => model.id),
            ...registry.providers().flatMap((provider) => provider.runningModels?.().map((running) => running.id) ?? []),
          ]),
        ],
        providers: providerReports,
        ...(hint === undefined ? {} : { hint }),
        ...(visionHint === undefined ? {} : { visionHint }),
        ...backends,
      };
    },
    close() {
      closing ??= (async () => {
        for (const close of closers.reverse()) {
          await close().catch((error: unknown) => logger.warn({ err: error }, "error while closing"));
        }
        await database.close();
        lock?.release();
      })();
      return closing;
    },
  };
  return station;
}
