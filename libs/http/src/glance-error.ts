import { type ErrorCode, GlimpseError, isGlimpseError } from '@glimpse/contracts';
import { HttpException } from '@nestjs/common';

/** The one table from error codes to HTTP: the compiler rejects a code without a status. */
export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  request_header_too_large: 431,
  internal: 500,
  not_implemented: 501,
  unavailable: 503,
};

const TITLE_OF: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

const CODE_OF_STATUS: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(HTTP_STATUS_OF).map(([code, status]) => [status, code as ErrorCode]),
);

/** Any thrown value as a GlimpseError; Nest's own HTTP errors (unknown route…) included. */
export function asGlimpseError(error: unknown): GlimpseError {
  if (isGlimpseError(error)) return error;
  if (error instanceof HttpException) {
    const code = CODE_OF_STATUS[error.getStatus()] ?? 'internal';
    return new GlimpseError(code, code === 'not_found' ? 'The resource could not be found.' : error.message);
  }
  return new GlimpseError('internal', 'The server has either erred or is incapable of performing the requested operation.');
}

export interface ErrorBody {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The body WebOb would produce: HTML unless the client prefers JSON (python-glanceclient strips
 * the tags and prints the rest), JSON { message, code, title }, or plain text.
 */
export function renderError(error: GlimpseError, accept: string | undefined): ErrorBody {
  const status = HTTP_STATUS_OF[error.code];
  const title = TITLE_OF[status];
  const statusLine = `${status} ${title}`;
  const format = preferredFormat(accept);
  if (format === 'json') {
    return {
      status,
      contentType: 'application/json',
      body: JSON.stringify({ message: error.message, code: statusLine, title }),
    };
  }
  if (format === 'plain') {
    return { status, contentType: 'text/plain; charset=UTF-8', body: `${statusLine}\n\n${error.message}\n\n   ` };
  }
  const html = [
    '<html>',
    ' <head>',
    `  <title>${statusLine}</title>`,
    ' </head>',
    ' <body>',
    `  <h1>${statusLine}</h1>`,
    `  ${escapeHtml(error.message)}<br /><br />`,
    '',
    '',
    '',
    ' </body>',
    '</html>',
  ].join('\n');
  return { status, contentType: 'text/html; charset=UTF-8', body: html };
}

function preferredFormat(accept: string | undefined): 'html' | 'json' | 'plain' {
  if (!accept || accept.trim() === '') return 'html';
  const offers = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: type.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  });
  const quality = (offer: string) =>
    Math.max(
      0,
      ...offers
        .filter((o) => o.type === offer || o.type === '*/*' || o.type === `${offer.split('/')[0]}/*`)
        .map((o) => o.q),
    );
  const html = quality('text/html');
  const json = quality('application/json');
  if (html === 0 && json === 0) return 'plain';
  return json > html ? 'json' : 'html';
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
