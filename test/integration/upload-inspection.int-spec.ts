import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qcow2Image, qcow2WithBackingFile } from '../support/disk-images';
import { type RunningGlimpse, startGlimpse } from '../support/glimpse';
import { api, upload } from '../support/http';

const MIB = 1024 * 1024;

/**
 * Bare uploads are format-inspected, as Glance does in flight: the virtual size comes from the
 * image's own header, and (require_image_format_match, the default) content that is not its
 * disk_format, or is unsafe, is refused with 415 and leaves nothing behind.
 */
describe.each([true, false])('format inspection of uploads (embedded, require_image_format_match=%s)', (required) => {
  let glimpse: RunningGlimpse;
  const work = mkdtempSync(join(tmpdir(), 'glimpse-inspection-'));
  const storeDir = () => join(glimpse.dataDir, 'images');

  beforeAll(async () => {
    glimpse = await startGlimpse('embedded', { GLIMPSE_REQUIRE_IMAGE_FORMAT_MATCH: String(required) });
  }, 60000);

  afterAll(async () => {
    await glimpse?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function uploaded(body: Buffer, diskFormat: string, containerFormat = 'bare') {
    const client = api(glimpse.url);
    const id = (await client.post('/v2/images', { disk_format: diskFormat, container_format: containerFormat })).json().id as string;
    const res = await upload(glimpse.url, id, body, null);
    return { res, image: (await client.get(`/v2/images/${id}`)).json() };
  }

  it('takes the virtual size of a qcow2 from its header, and of raw from its length', async () => {
    const qcow2 = qcow2Image(join(work, 'disk.qcow2'), 2 * MIB, 48 * MIB);
    const disk = await uploaded(qcow2, 'qcow2');
    expect(disk.res.status).toBe(204);
    expect(disk.image).toMatchObject({ status: 'active', size: qcow2.length, virtual_size: 48 * MIB });
    const raw = randomBytes(MIB + 5);
    expect((await uploaded(raw, 'raw')).image).toMatchObject({ status: 'active', virtual_size: raw.length });
    // raw may carry any safe content; its virtual size is then its length, as Glance's raw inspector says
    expect((await uploaded(qcow2, 'raw')).image).toMatchObject({ status: 'active', virtual_size: qcow2.length });
  });

  it(required ? 'refuses content that is not its disk_format with 415, back to queued, nothing stored' : 'keeps content that is not its disk_format, without a virtual size', async () => {
    const before = readdirSync(storeDir());
    const { res, image } = await uploaded(randomBytes(3 * MIB), 'qcow2');
    if (required) {
      expect(res.status).toBe(415);
      expect(res.text).toContain('Image disk_format qcow2 does not match its content, which is raw');
      expect(image).toMatchObject({ status: 'queued', size: null, checksum: null, virtual_size: null });
      expect(readdirSync(storeDir())).toEqual(before);
    } else {
      expect(res.status).toBe(204);
      expect(image).toMatchObject({ status: 'active', virtual_size: null });
      expect(glimpse.logs()).toContain('require_image_format_match is false');
    }
  });

  it(required ? 'refuses a qcow2 with a backing file, whatever disk_format it claims' : 'keeps even an unsafe qcow2 when told to', async () => {
    const unsafe = qcow2WithBackingFile(join(work, 'backed.qcow2'), '/etc/hostname');
    for (const diskFormat of ['qcow2', 'raw']) {
      const { res, image } = await uploaded(unsafe, diskFormat);
      if (required) {
        expect(res.status).toBe(415);
        expect(res.text).toMatch(/Image failed safety checks: .*backing file/);
        expect(image.status).toBe('queued');
      } else {
        expect(res.status).toBe(204);
      }
    }
  });

  it('does not inspect what is not a bare disk (container_format ovf)', async () => {
    const { res, image } = await uploaded(randomBytes(64 * 1024), 'qcow2', 'ovf');
    expect(res.status).toBe(204);
    expect(image).toMatchObject({ status: 'active', virtual_size: null });
  });
});
