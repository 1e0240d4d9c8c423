/** An error of a transfer: `code` is the errno's name (EPIPE, ECONNRESET, ETIMEDOUT) or EOF. */
export interface SendfileError extends Error {
  code: string;
  errno?: number;
  syscall: 'sendfile' | 'poll';
  bytesSent: number;
}

/**
 * Sends `length` bytes of the file `fileFd` from `offset` onto the socket `socketFd` with Linux
 * sendfile(2), in the libuv thread pool; resolves with the bytes sent, or rejects with a
 * SendfileError. The socket may be non-blocking: a full socket buffer is waited out (60 s at most
 * without progress, then ETIMEDOUT).
 */
export function sendfile(socketFd: number, fileFd: number, offset: number, length: number): Promise<number>;
