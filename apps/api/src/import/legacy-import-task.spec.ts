import { GlimpseError } from '@glimpse/contracts';
import { parseLegacyImportTask } from './legacy-import-task';

const input = { import_from: 'https://images.example/cirros.img', import_from_format: 'qcow2', image_properties: { name: 'c', disk_format: 'qcow2', container_format: 'bare' } };

function refusal(body: unknown): string {
  try {
    parseLegacyImportTask(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GlimpseError);
    expect((error as GlimpseError).code).toBe('bad_request');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('parseLegacyImportTask', () => {
  it('keeps the input as given and takes the image properties from it', () => {
    expect(parseLegacyImportTask({ type: 'import', input })).toEqual({
      importFrom: input.import_from,
      imageProperties: input.image_properties,
      input,
    });
  });

  it('gives empty image properties qcow2 and bare, as Glance does', () => {
    expect(parseLegacyImportTask({ type: 'import', input: { ...input, image_properties: {} } }).imageProperties).toEqual({ disk_format: 'qcow2', container_format: 'bare' });
  });

  it.each([
    [[], 'JSON object'],
    [{ input }, "fields 'type' and 'input'"],
    [{ type: 'nonsense', input }, 'is not one of import, api_image_import, location_import'],
    [{ type: 'location_import', input }, 'created by the import API'],
    [{ type: 'import', input: 'x' }, 'must be a JSON object'],
    [{ type: 'import', input: { ...input, image_properties: undefined } }, "'image_properties' must be a JSON object"],
    [{ type: 'import', input: { import_from: input.import_from, image_properties: {} } }, "Input does not contain 'import_from_format' field"],
    [{ type: 'import', input: { ...input, image_properties: { name: 'no formats' } } }, "'image_properties' must set disk_format"],
    [{ type: 'import', input: { ...input, import_from: '' } }, 'Invalid location'],
    [{ type: 'import', input: { ...input, import_from: 'file:///etc/shadow' } }, 'File based imports are not allowed'],
    [{ type: 'import', input: { ...input, import_from: 'swift://container/x' } }, 'The given uri is not valid'],
  ])('refuses %j (400)', (body, message) => {
    expect(refusal(body)).toContain(message);
  });
});
