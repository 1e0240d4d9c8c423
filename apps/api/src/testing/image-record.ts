import type { ImageRecord } from '@glimpse/contracts';

/** For specs: a queued qcow2 image of project p1, with what the overrides change. */
export function imageRecord(overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id: '7a1b6f4e-2b1e-4c4f-9d3c-0a8e2f1d5c6b',
    name: 'cirros',
    status: 'queued',
    visibility: 'private',
    protected: false,
    osHidden: false,
    owner: 'p1',
    size: null,
    virtualSize: null,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDisk: 0,
    minRam: 0,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    tags: ['a', 'b'],
    properties: { os_distro: 'cirros', hw_machine: 'q35' },
    locations: [],
    ...overrides,
  };
}
