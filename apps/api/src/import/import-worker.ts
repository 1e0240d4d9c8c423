import { Controller, Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RegistryClient } from '@glimpse/bus';
import { ImportSubjects, ImportTriggers } from '@glimpse/contracts';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { API_SETTINGS, type ApiSettings } from '../api.settings';
import { ImportAborted, ImportRunner } from './import-runner';

/**
 * Takes import tasks: on their trigger, and on a timer for tasks nobody runs (a lost trigger, a
 * worker that died). A task is claimed in the registry first, and its heartbeat keeps the claim;
 * a task whose heartbeat stops for import_lock_timeout goes to another worker.
 */
@Injectable()
export class ImportWorker implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ImportWorker');
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly registry: RegistryClient,
    private readonly runner: ImportRunner,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  onModuleInit(): void {
    const every = Math.min(30_000, Math.max(200, Math.floor(this.settings.importLockTimeoutMs / 3)));
    this.timer = setInterval(() => void this.reconcile(), every);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    for (const abort of this.running.values()) abort.abort();
  }

  async reconcile(): Promise<void> {
    try {
      const { taskIds } = await this.registry.request(ImportSubjects.orphaned, { staleAfterMs: this.settings.importLockTimeoutMs, limit: 10 });
      for (const taskId of taskIds) void this.run(taskId);
    } catch (error) {
      this.logger.warn(`looking for orphaned imports failed: ${(error as Error).message}`);
    }
  }

  async run(taskId: string): Promise<void> {
    if (this.running.has(taskId)) return;
    const abort = new AbortController();
    this.running.set(taskId, abort);
    let beat: NodeJS.Timeout | null = null;
    try {
      const { task } = await this.registry.request(ImportSubjects.claim, { taskId, workerId: this.id, staleAfterMs: this.settings.importLockTimeoutMs });
      if (!task) return;
      beat = setInterval(() => void this.heartbeat(taskId, abort), Math.max(100, Math.floor(this.settings.importLockTimeoutMs / 4)));
      await this.runner.execute(task, this.id, abort.signal);
    } catch (error) {
      if (error instanceof ImportAborted) this.logger.warn(`import ${taskId}: ${error.message}`);
      else this.logger.error(`import ${taskId} failed: ${(error as Error).message}`);
    } finally {
      if (beat) clearInterval(beat);
      this.running.delete(taskId);
    }
  }

  private async heartbeat(taskId: string, abort: AbortController): Promise<void> {
    const { held } = await this.registry.request(ImportSubjects.heartbeat, { taskId, workerId: this.id }).catch(() => ({ held: true }));
    if (!held) abort.abort();
  }
}

/** The bus side of the worker: one api replica (queue group) receives each trigger. */
@Controller()
export class ImportTriggerHandler {
  constructor(private readonly worker: ImportWorker) {}

  @EventPattern(ImportTriggers.run)
  onRun(@Payload() trigger: { taskId: string }): void {
    void this.worker.run(trigger.taskId);
  }
}
