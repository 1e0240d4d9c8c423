import { loadClientSettings } from '@glimpse/config';
import { ProgressBoard } from './cli/progress-board';
import { type ApiTarget, TransferError, downloadFile, uploadFile } from './cli/image-transfer';

const USAGE = `usage: glimpse-image upload <file> [--id <image id>] [--name <name>] [--disk-format raw] [--container-format bare] [--store <id>]
       glimpse-image download <image id> <file>
common: --url <api or cache agent url> (default $GLIMPSE_API_URL, $OS_IMAGE_URL or http://127.0.0.1:9292)
        --header 'Name: value' (repeatable; $OS_AUTH_TOKEN is sent as X-Auth-Token)
Progress goes to stderr: redrawn on a terminal, a line per quarter elsewhere.`;

interface Parsed {
  positional: string[];
  options: Map<string, string>;
  headers: Record<string, string>;
}

function parse(argv: string[]): Parsed | string {
  const parsed: Parsed = { positional: [], options: new Map(), headers: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      parsed.positional.push(arg);
      continue;
    }
    const value = argv[++i];
    if (value === undefined) return `${arg} needs a value`;
    if (arg === '--header') {
      const colon = value.indexOf(':');
      if (colon < 1) return `--header wants 'Name: value', got ${value}`;
      parsed.headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
    } else if (['--url', '--id', '--name', '--disk-format', '--container-format', '--store'].includes(arg)) {
      parsed.options.set(arg.slice(2), value);
    } else {
      return `unknown option ${arg}`;
    }
  }
  return parsed;
}

/**
 * glimpse-image: upload a file into an image or download one, with a progress bar, checking the
 * checksum either way. Against the API, or a node's cache agent for downloads.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const parsed = parse(rest);
  if (typeof parsed === 'string' || !['upload', 'download'].includes(command ?? '')) {
    console.error(typeof parsed === 'string' ? `glimpse-image: ${parsed}\n${USAGE}` : USAGE);
    return 2;
  }
  const client = loadClientSettings();
  const api: ApiTarget = {
    url: parsed.options.get('url') ?? client.apiUrl,
    headers: { ...(client.authToken ? { 'X-Auth-Token': client.authToken } : {}), ...parsed.headers },
  };
  const board = new ProgressBoard(process.stderr);
  try {
    if (command === 'upload') {
      const [file] = parsed.positional;
      if (!file || parsed.positional.length > 1) throw new TransferError('upload takes one file');
      const done = await uploadFile(api, file, {
        id: parsed.options.get('id'),
        name: parsed.options.get('name'),
        diskFormat: parsed.options.get('disk-format') ?? 'raw',
        containerFormat: parsed.options.get('container-format') ?? 'bare',
        store: parsed.options.get('store'),
      }, board);
      board.close();
      console.log(`${done.id} ${done.size} bytes, checksum ${done.checksum}`);
    } else {
      const [id, file] = parsed.positional;
      if (!id || !file || parsed.positional.length > 2) throw new TransferError('download takes an image id and a file');
      const done = await downloadFile(api, id, file, board);
      board.close();
      console.log(`${file}: ${done.size} bytes, checksum ${done.checksum}`);
    }
    return 0;
  } catch (error) {
    board.close();
    console.error(`glimpse-image: ${(error as Error).message}`);
    return error instanceof TransferError ? 1 : 3;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
