'use strict';

const binding = require('./build/Release/sendfile.node');

/**
 * Sends `length` bytes of the file `fileFd` from `offset` onto the socket `socketFd` with Linux
 * sendfile(2), in the libuv thread pool. Resolves with the bytes sent (always `length`); rejects
 * with an Error carrying `code` (EPIPE, ECONNRESET, ETIMEDOUT when the peer reads nothing for
 * 60 s, EOF when the file is shorter), `syscall` and `bytesSent`. Bad arguments reject too.
 */
async function sendfile(socketFd, fileFd, offset, length) {
  return binding.sendfile(socketFd, fileFd, offset, length);
}

module.exports = { sendfile };
