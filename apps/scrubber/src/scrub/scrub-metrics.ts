import { Injectable, type OnModuleInit } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { Scrubber } from './scrubber.service';

/** The scrub backlog and failures on /metrics, read from the daemon when scraped. */
@Injectable()
export class ScrubMetrics implements OnModuleInit {
  constructor(private readonly scrubber: Scrubber) {}

  onModuleInit(): void {
    const meter = metrics.getMeter('glimpse-scrub');
    const backlog = meter.createObservableGauge('glimpse.scrub.backlog', { description: 'Scrub jobs waiting or running' });
    const scrubbed = meter.createObservableCounter('glimpse.scrub.scrubbed', { description: 'Images whose data this scrubber deleted' });
    const failed = meter.createObservableCounter('glimpse.scrub.failures', { description: 'Failed attempts to delete an image’s data' });
    meter.addBatchObservableCallback(
      async (result) => {
        const counts = await this.scrubber.counts();
        result.observe(backlog, counts.pending);
        result.observe(scrubbed, counts.scrubbedTotal);
        result.observe(failed, counts.failedTotal);
      },
      [backlog, scrubbed, failed],
    );
  }
}
