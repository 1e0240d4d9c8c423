import { parseIni } from './ini';

describe('parseIni', () => {
  it('reads sections, key = value and key: value, with line numbers', () => {
    const text = ['[DEFAULT]', 'bind_host = 0.0.0.0', 'bind_port:9393', '', '[ database ]', 'connection = mysql://u:p@db/g?x=1'].join('\n');
    expect(parseIni(text)).toEqual({
      entries: [
        { section: 'DEFAULT', key: 'bind_host', value: '0.0.0.0', line: 2 },
        { section: 'DEFAULT', key: 'bind_port', value: '9393', line: 3 },
        { section: 'database', key: 'connection', value: 'mysql://u:p@db/g?x=1', line: 6 },
      ],
      errors: [],
    });
  });

  it('skips # and ; comments and blank lines, and accepts CRLF', () => {
    const text = '# top\r\n[DEFAULT]\r\n; note\r\n   # indented comment\r\n\r\ndebug = true\r\n';
    expect(parseIni(text)).toEqual({ entries: [{ section: 'DEFAULT', key: 'debug', value: 'true', line: 6 }], errors: [] });
  });

  it('joins indented continuation lines to the previous value with newlines', () => {
    const text = ['[image_format]', 'disk_formats = raw,', '    qcow2,', '\tiso', 'container_formats = bare'].join('\n');
    expect(parseIni(text).entries).toEqual([
      { section: 'image_format', key: 'disk_formats', value: 'raw,\nqcow2,\niso', line: 2 },
      { section: 'image_format', key: 'container_formats', value: 'bare', line: 5 },
    ]);
  });

  it('keeps an empty value', () => {
    expect(parseIni('[DEFAULT]\npublic_endpoint =').entries).toEqual([
      { section: 'DEFAULT', key: 'public_endpoint', value: '', line: 2 },
    ]);
  });

  it.each([
    ['a key before any section', 'debug = true\n[DEFAULT]', [{ line: 1, message: '"debug" appears before any [section]' }]],
    ['a line without = or :', '[DEFAULT]\njust words', [{ line: 2, message: 'cannot parse "just words"' }]],
    ['a continuation after a blank line', '[DEFAULT]\na = 1\n\n  more', [{ line: 4, message: 'cannot parse "more"' }]],
  ])('reports %s with its line', (_what, text, errors) => {
    expect(parseIni(text).errors).toEqual(errors);
  });
});
