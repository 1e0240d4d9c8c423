// sendfile(socketFd, fileFd, offset, length) → Promise<number>: `length` bytes of a file from
// `offset` onto a socket with Linux sendfile(2), in the libuv thread pool, so that the bytes
// never pass through user space. Node's sockets are non-blocking: when the socket's buffer is
// full the worker waits in poll(POLLOUT) and goes on, and gives up with ETIMEDOUT when the peer
// reads nothing for STALL_TIMEOUT_MS.
//
// Both descriptors are duplicated on the calling thread before the work is queued: if Node
// closes the socket meanwhile (the peer went away, a timeout), its number may be reused at once
// by another connection or file, and the worker must never write into that one.
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/types.h>
#include <unistd.h>

// Linux moves at most 0x7ffff000 bytes per call, whatever the count asked for.
#define MAX_CHUNK ((size_t)0x7ffff000)
#define STALL_TIMEOUT_MS 60000
// Numbers beyond 2^53 are not exact in JavaScript.
#define MAX_SAFE_INTEGER 9007199254740991.0
// Not an errno: the file ended before `length` bytes were sent.
#define SHORT_FILE (-1)

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int socket_fd;
  int file_fd;
  off_t offset;
  int64_t length;
  int64_t sent;
  int error;
  const char* syscall;
} transfer_t;

static void transfer(transfer_t* t) {
  while (t->sent < t->length) {
    uint64_t left = (uint64_t)(t->length - t->sent);
    size_t count = left > MAX_CHUNK ? MAX_CHUNK : (size_t)left;
    ssize_t n = sendfile(t->socket_fd, t->file_fd, &t->offset, count);
    if (n > 0) {
      t->sent += n;
      continue;
    }
    if (n == 0) {
      t->error = SHORT_FILE;
      t->syscall = "sendfile";
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      t->error = errno;
      t->syscall = "sendfile";
      return;
    }
    struct pollfd p = {.fd = t->socket_fd, .events = POLLOUT, .revents = 0};
    int ready = poll(&p, 1, STALL_TIMEOUT_MS);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      t->error = ready == 0 ? ETIMEDOUT : errno;
      t->syscall = "poll";
      return;
    }
    // POLLERR and POLLHUP: the next sendfile reports the socket's error (EPIPE, ECONNRESET).
  }
}

static void execute(napi_env env, void* data) {
  (void)env;
  transfer((transfer_t*)data);
}

static const char* error_code(int error) {
  if (error == SHORT_FILE) return "EOF";
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* name = strerrorname_np(error);
  if (name) return name;
#endif
  switch (error) {
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTCONN: return "ENOTCONN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

static napi_value transfer_error(napi_env env, const transfer_t* t) {
  const char* code = error_code(t->error);
  char message[160];
  if (t->error == SHORT_FILE) {
    snprintf(message, sizeof message, "%s %s: the file ended %lld bytes before the requested length", t->syscall, code,
             (long long)(t->length - t->sent));
  } else {
    snprintf(message, sizeof message, "%s %s: %s", t->syscall, code, strerror(t->error));
  }
  napi_value js_code, js_message, error, value;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message);
  napi_create_error(env, js_code, js_message, &error);
  if (t->error != SHORT_FILE) {
    napi_create_int32(env, -t->error, &value);
    napi_set_named_property(env, error, "errno", value);
  }
  napi_create_string_utf8(env, t->syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  napi_create_int64(env, t->sent, &value);
  napi_set_named_property(env, error, "bytesSent", value);
  return error;
}

static void complete(napi_env env, napi_status status, void* data) {
  transfer_t* t = (transfer_t*)data;
  close(t->socket_fd);
  close(t->file_fd);
  if (status == napi_ok && t->error == 0) {
    napi_value sent;
    napi_create_int64(env, t->sent, &sent);
    napi_resolve_deferred(env, t->deferred, sent);
  } else {
    if (status != napi_ok) {
      t->error = ECANCELED;
      t->syscall = "sendfile";
    }
    napi_reject_deferred(env, t->deferred, transfer_error(env, t));
  }
  napi_delete_async_work(env, t->work);
  free(t);
}

/** A non-negative safe integer argument, or a thrown RangeError/TypeError. */
static int integer_arg(napi_env env, napi_value value, const char* name, double max, double* out) {
  napi_valuetype type;
  char message[96];
  napi_typeof(env, value, &type);
  if (type != napi_number) {
    snprintf(message, sizeof message, "%s must be a number", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return 0;
  }
  napi_get_value_double(env, value, out);
  if (!(*out >= 0 && *out <= max && (double)(int64_t)*out == *out)) {
    snprintf(message, sizeof message, "%s must be an integer from 0 to %.0f", name, max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", message);
    return 0;
  }
  return 1;
}

static int dup_fd(napi_env env, int fd) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    int error = errno;
    char message[96];
    snprintf(message, sizeof message, "dup %s: %s", error_code(error), strerror(error));
    napi_throw_error(env, error_code(error), message);
  }
  return copy;
}

static napi_value send_file(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  // Missing arguments come as undefined.
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double socket_fd, file_fd, offset, length;
  if (!integer_arg(env, argv[0], "socketFd", INT32_MAX, &socket_fd) ||
      !integer_arg(env, argv[1], "fileFd", INT32_MAX, &file_fd) ||
      !integer_arg(env, argv[2], "offset", MAX_SAFE_INTEGER, &offset) ||
      !integer_arg(env, argv[3], "length", MAX_SAFE_INTEGER, &length)) {
    return NULL;
  }
  transfer_t* t = calloc(1, sizeof *t);
  if (!t) {
    napi_throw_error(env, "ENOMEM", "sendfile: out of memory");
    return NULL;
  }
  t->socket_fd = dup_fd(env, (int)socket_fd);
  if (t->socket_fd < 0) {
    free(t);
    return NULL;
  }
  t->file_fd = dup_fd(env, (int)file_fd);
  if (t->file_fd < 0) {
    close(t->socket_fd);
    free(t);
    return NULL;
  }
  t->offset = (off_t)offset;
  t->length = (int64_t)length;

  napi_value promise, name;
  napi_create_promise(env, &t->deferred, &promise);
  napi_create_string_utf8(env, "glimpse:sendfile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, t, &t->work);
  napi_queue_async_work(env, t->work);
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "sendfile", NAPI_AUTO_LENGTH, send_file, NULL, &fn);
  napi_set_named_property(env, exports, "sendfile", fn);
  return exports;
}
