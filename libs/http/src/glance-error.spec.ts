import { ERROR_CODES, GlimpseError } from '@glimpse/contracts';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { HTTP_STATUS_OF, asGlimpseError, renderError } from './glance-error';

const NOT_FOUND = new GlimpseError('not_found', 'No image found with ID <x> & co');

describe('renderError', () => {
  it.each([undefined, '', '*/*', 'text/html', 'application/json;q=0.5, text/html', 'application/json, */*'])(
    'renders HTML for Accept %p',
    (accept) => {
      expect(renderError(NOT_FOUND, accept)).toEqual({
        status: 404,
        contentType: 'text/html; charset=UTF-8',
        body: [
          '<html>',
          ' <head>',
          '  <title>404 Not Found</title>',
          ' </head>',
          ' <body>',
          '  <h1>404 Not Found</h1>',
          '  No image found with ID &lt;x&gt; &amp; co<br /><br />',
          '',
          '',
          '',
          ' </body>',
          '</html>',
        ].join('\n'),
      });
    },
  );

  it.each(['application/json', 'application/*', 'text/html;q=0.2, application/json', 'application/json, text/plain'])(
    'renders JSON for Accept %s',
    (accept) => {
      const rendered = renderError(NOT_FOUND, accept);
      expect([rendered.status, rendered.contentType]).toEqual([404, 'application/json']);
      expect(JSON.parse(rendered.body)).toEqual({ message: 'No image found with ID <x> & co', code: '404 Not Found', title: 'Not Found' });
    },
  );

  it.each(['text/plain', 'image/png', 'text/html;q=0, application/xml'])('renders plain text for Accept %s', (accept) => {
    expect(renderError(new GlimpseError('conflict', 'Image is protected'), accept)).toEqual({
      status: 409,
      contentType: 'text/plain; charset=UTF-8',
      body: '409 Conflict\n\nImage is protected\n\n   ',
    });
  });

  it.each(ERROR_CODES.map((code) => [code]))('gives %s a status and a title', (code) => {
    const status = HTTP_STATUS_OF[code];
    const { body } = renderError(new GlimpseError(code, 'm'), 'application/json');
    const parsed = JSON.parse(body) as { code: string; title: string };
    expect(status).toBeGreaterThanOrEqual(400);
    expect(parsed.code).toBe(`${status} ${parsed.title}`);
    expect(parsed.title).toMatch(/^[A-Z][A-Za-z ]+$/);
  });

  it('maps the codes to Glance’s statuses', () => {
    expect(HTTP_STATUS_OF).toEqual({
      bad_request: 400, unauthorized: 401, forbidden: 403, not_found: 404, method_not_allowed: 405, conflict: 409,
      gone: 410, payload_too_large: 413, unsupported_media_type: 415, range_not_satisfiable: 416,
      request_header_too_large: 431, internal: 500, not_implemented: 501, unavailable: 503,
    });
  });
});

describe('asGlimpseError', () => {
  it('keeps a GlimpseError, and one that only looks like it', () => {
    expect(asGlimpseError(NOT_FOUND)).toBe(NOT_FOUND);
    const foreign = Object.assign(new Error('gone away'), { code: 'gone' });
    expect(asGlimpseError(foreign)).toBe(foreign);
  });

  it('maps Nest HTTP exceptions by status, with Glance’s not-found text', () => {
    expect(asGlimpseError(new NotFoundException('Cannot GET /v2/nothing')).toPayload()).toEqual({
      code: 'not_found',
      message: 'The resource could not be found.',
    });
    expect(asGlimpseError(new BadRequestException('bad json')).toPayload()).toEqual({ code: 'bad_request', message: 'bad json' });
  });

  it('hides anything else behind a 500', () => {
    expect(asGlimpseError(new TypeError('x is undefined')).toPayload()).toEqual({
      code: 'internal',
      message: 'The server has either erred or is incapable of performing the requested operation.',
    });
  });
});
